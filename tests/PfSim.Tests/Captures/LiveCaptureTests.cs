using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary><c>pfsim replay --live IF</c> without libpcap: the user is told what to install, not shown a stack trace.</summary>
public class LiveCaptureTests
{
    [Fact]
    public void MissingLibpcap_AsSharpPcapRaisesIt_IsToldPlainly()
    {
        // SharpPcap's native methods fail in their static constructor: the DllNotFoundException comes wrapped.
        var raised = new TypeInitializationException("SharpPcap.LibPcap.LibPcapSafeNativeMethods", new DllNotFoundException("libpcap.so"));
        string? message = LiveCapture.MissingLibpcap(raised);
        Assert.NotNull(message);
        Assert.Contains(OperatingSystem.IsWindows() ? "Npcap" : "libpcap", message);
        Assert.Contains("reading capture files does not", message);
    }

    [Fact]
    public void OtherFailures_AreNotTakenForAMissingLibpcap()
    {
        Assert.Null(LiveCapture.MissingLibpcap(new UnauthorizedAccessException("eth0: permission denied")));
        Assert.Null(LiveCapture.MissingLibpcap(new InvalidOperationException("x", new IOException("y"))));
    }
}

/// <summary>Runs only where unshare(1) may make a mount namespace (root, not a locked-down container): libpcap can then be hidden from one process without touching the system.</summary>
public sealed class HiddenLibpcapFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> CanUnshare = new(() =>
        OperatingSystem.IsLinux() && Environment.UserName == "root" && Peer.HasTool("unshare")
        && ExternalTool.Run("unshare", "-m", "true").Code == 0);

    public HiddenLibpcapFactAttribute()
    {
        if (!CanUnshare.Value)
            Skip = "needs Linux, root and a working 'unshare -m' to hide libpcap from one process";
        else if (LiveCaptureProcessTests.Libpcaps().Count == 0)
            Skip = "libpcap is not installed here: nothing to hide";
    }
}

public class LiveCaptureProcessTests
{
    internal static List<string> Libpcaps() =>
        [.. new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu" }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetFiles(d, "libpcap.so*"))
            .Where(f => new FileInfo(f).LinkTarget is null)];

    /// <summary>The real program in a mount namespace where every libpcap file reads as empty: it says what to install.</summary>
    [HiddenLibpcapFact]
    public void Live_WithoutLibpcap_SaysWhatToInstall_Exit2()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "PfSim.Cli.dll");
        using var conf = ExternalTool.Temp(".conf");
        File.WriteAllText(conf, "pass\n");
        string hide = string.Join("; ", Libpcaps().Select(f => $"mount --bind /dev/null '{f}'"));
        var (code, _, err) = ExternalTool.Run("unshare", "-m", "sh", "-c", $"{hide}; exec dotnet '{dll}' replay -f '{conf.Path}' --live lo");
        Assert.Equal(2, code);
        Assert.Equal("pfsim: live capture needs libpcap, which is not installed (Debian/Ubuntu: apt-get install libpcap0.8; " +
                     "Fedora: dnf install libpcap); reading capture files does not", err.Trim());
    }
}
