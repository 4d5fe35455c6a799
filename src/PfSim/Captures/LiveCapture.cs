using SharpPcap;
using SharpPcap.LibPcap;

namespace PfSim.Captures;

/// <summary>
/// Packets from a live interface through libpcap (SharpPcap): the optional path of <c>pfsim replay --live IF</c>.
/// Files never come this way: the managed <see cref="CaptureReader"/> reads them.
/// </summary>
public sealed class LiveCapture : IDisposable
{
    private readonly LibPcapLiveDevice _device;
    private long _index;

    private LiveCapture(LibPcapLiveDevice device, int linkType)
    {
        _device = device;
        LinkType = linkType;
    }

    public int LinkType { get; }
    public string Name => _device.Name;

    /// <summary>
    /// Opens <paramref name="ifname"/> for capture. Returns null with <paramref name="error"/> set when libpcap is
    /// missing, the interface does not exist, or capture is not permitted.
    /// </summary>
    public static LiveCapture? Open(string ifname, out string? error, int readTimeoutMs = 250)
    {
        error = null;
        LibPcapLiveDevice? device;
        try
        {
            device = LibPcapLiveDeviceList.Instance.FirstOrDefault(d => d.Name == ifname);
        }
        catch (Exception e) when (MissingLibpcap(e) is string message)
        {
            error = message;
            return null;
        }
        if (device is null)
        {
            var names = string.Join(", ", LibPcapLiveDeviceList.Instance.Select(d => d.Name));
            error = $"no interface named '{ifname}' to capture on (there are: {names})";
            return null;
        }
        try
        {
            device.Open(new DeviceConfiguration { Mode = DeviceModes.None, ReadTimeout = readTimeoutMs, Snaplen = 262144 });
        }
        catch (Exception e) when (e is PcapException or DeviceNotReadyException or UnauthorizedAccessException)
        {
            error = $"cannot capture on {ifname}: {e.Message}";
            return null;
        }
        return new LiveCapture(device, (int)device.LinkType);
    }

    /// <summary>
    /// What to tell the user when <paramref name="e"/> (often a TypeInitializationException around it) says the native
    /// capture library could not be loaded; null for any other failure.
    /// </summary>
    public static string? MissingLibpcap(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
                return OperatingSystem.IsWindows()
                    ? "live capture needs Npcap, which is not installed (https://npcap.com); reading capture files does not"
                    : "live capture needs libpcap, which is not installed (Debian/Ubuntu: apt-get install libpcap0.8; " +
                      "Fedora: dnf install libpcap); reading capture files does not";
        return null;
    }

    /// <summary>Waits for the next packet; false when <paramref name="cancel"/> fires or the capture ends.</summary>
    public bool TryRead(out CapturedPacket packet, CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            var status = _device.GetNextPacket(out PacketCapture e);
            if (status == GetPacketStatus.ReadTimeout) continue;
            if (status != GetPacketStatus.PacketRead) break;
            var tv = e.Header.Timeval;
            long ns = (long)tv.Seconds * 1_000_000_000L + (long)tv.MicroSeconds * 1000L;
            _index++;
            packet = new CapturedPacket(_index, 0, ns, LinkType, e.Data, e.Data.Length, 0, BitConverter.IsLittleEndian, hasTimestamp: true);
            return true;
        }
        packet = default;
        return false;
    }

    public void Dispose() => _device.Close();
}
