using PfSim.Tests.Cli;

namespace PfSim.Tests.Captures;

/// <summary>
/// A damaged capture, as the user meets it: <c>FILE: packet N at byte offset B: message</c> on stderr, the verdicts of
/// every packet before the damage on stdout, exit status 1; never a stack trace.
/// </summary>
public class ReplayDamageTests
{
    // Section header 28 bytes, interface em0 32 bytes, then four 60-byte enhanced packet blocks at 60, 120, 180, 240.
    private static byte[] FourPackets()
    {
        var b = new PcapNgBuilder().Section().Interface(101, name: "em0");
        for (int i = 0; i < 4; i++) b.Enhanced(0, 1_300_000_000_000_000UL + (ulong)i * 1_000_000, PflogTests.EchoRequest);
        return b.ToArray();
    }

    [Theory]
    [InlineData(10, 1, 0)]     // inside the section header
    [InlineData(40, 1, 28)]    // inside the interface description
    [InlineData(66, 1, 60)]    // inside the first packet block's header
    [InlineData(150, 2, 120)]  // inside the second packet
    [InlineData(299, 4, 240)]  // one byte short of the end
    public void TruncatedPcapNg_SaysWhere_KeepsTheVerdictsBefore_Exits1(int cut, int packet, int offset)
    {
        var bytes = FourPackets();
        Assert.Equal(300, bytes.Length);
        using var cap = ExternalTool.Temp(".pcapng");
        File.WriteAllBytes(cap, bytes[..cut]);
        var (code, output, err) = CliRunner.Run("replay", "-f", "/dev/null", "--dir", "in", cap);
        Assert.Equal(1, code);
        Assert.StartsWith($"{cap.Path}: packet {packet} at byte offset {offset}: ", err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(packet - 1, output.Split('\n').Count(l => l.Contains(" => pass", StringComparison.Ordinal)));
        Assert.Contains($"packets: {packet - 1} replayed", output);  // the summary still comes
    }

    [Theory]
    [InlineData(4, 7u)]            // a block length below the minimum
    [InlineData(4, 0x7FFF0000u)]   // a block length past the end of the file
    [InlineData(20, 5000u)]        // a captured length past the end of its block
    [InlineData(8, 9u)]            // a packet on an interface the section never described
    public void CorruptBlockInTheMiddle_StopsThere_OrIsSkippedUnderKeepGoing(int field, uint value)
    {
        var bytes = FourPackets();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(180 + field), value);  // the third packet
        using var cap = ExternalTool.Temp(".pcapng");
        File.WriteAllBytes(cap, bytes);
        var (code, output, err) = CliRunner.Run("replay", "-f", "/dev/null", "--dir", "in", cap);
        Assert.Equal(1, code);
        Assert.StartsWith($"{cap.Path}: packet 3 at byte offset 180: ", err);
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains(" => pass", StringComparison.Ordinal)));
        var (code2, output2, err2) = CliRunner.Run("replay", "-f", "/dev/null", "--dir", "in", "--keep-going", cap);
        Assert.Equal(1, code2);  // skipped damage is still damage
        Assert.StartsWith($"{cap.Path}: packet 3 at byte offset 180: ", err2);
        Assert.Equal(3, output2.Split('\n').Count(l => l.Contains(" => pass", StringComparison.Ordinal)));
    }
}
