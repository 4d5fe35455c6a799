using System.Diagnostics;

namespace PfSim.Tests.Cli;

/// <summary>The real pfsim process under a user's locale: its output is the C locale's, as pfctl's and tcpdump's are.</summary>
public class CliLocaleTests
{
    [Fact]
    public async Task RealProcess_UnderAGermanLocale_PrintsDecimalPoints()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "PfSim.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "lab", Peer.Captures("labs", "seed", "lab.yaml"), "--trace", "--tool", "ping", "--from", "ubuntu", "--ruleset", "D" })
            psi.ArgumentList.Add(a);
        psi.Environment["LANG"] = psi.Environment["LC_ALL"] = "de_DE.UTF-8";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000));
        Assert.True(p.ExitCode == 0, await stderr);
        var trace = await stdout;
        Assert.Contains(" 0.000150 server bge0 in pass @2", trace);  // the trace's seconds, as tcpdump -ttt prints them
        Assert.DoesNotContain("0,000150", trace);
    }
}
