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
