namespace PfSim.Captures;

/// <summary>Where and why a capture is damaged: printed as <c>FILE: packet N at byte offset B: message</c>.</summary>
public sealed record CaptureError(string File, long Packet, long ByteOffset, string Message)
{
    public override string ToString() => $"{File}: packet {Packet} at byte offset {ByteOffset}: {Message}";
}

/// <summary>A capture that cannot be read further. The packets before it were all delivered.</summary>
public sealed class CaptureFormatException(CaptureError error) : Exception(error.ToString())
{
    public CaptureError Error { get; } = error;
}
