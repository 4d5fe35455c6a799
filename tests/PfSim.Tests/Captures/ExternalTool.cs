using System.Diagnostics;

namespace PfSim.Tests.Captures;

/// <summary>Runs tcpdump/tshark/editcap for conformance checks (tests that use it are [ToolFact]s).</summary>
internal static class ExternalTool
{
    public static (int Code, string Out, string Err) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TZ"] = "UTC";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    /// <summary>A fresh temporary file path, deleted when the returned scope ends.</summary>
    public static TempFile Temp(string extension = ".pcap") => new(Path.Combine(Path.GetTempPath(), $"pfsim-{Guid.NewGuid():N}{extension}"));
}

internal sealed class TempFile(string path) : IDisposable
{
    public string Path { get; } = path;
    public void Dispose() { try { File.Delete(Path); } catch (IOException) { } }
    public static implicit operator string(TempFile t) => t.Path;
}
