namespace PfSim.Flows;

/// <summary>The operating systems a lab host can run; each brings its stack's defaults and its tools.</summary>
public enum OsKind : byte
{
    Linux,
    FreeBsd,
    OpenBsd,
    Windows,
}

/// <summary>
/// What a host's IP stack does by default: the TTL it sends with, how much of an offending packet its
/// ICMP errors quote, and how it marks them. Values are the stock defaults of each system.
/// </summary>
public sealed record OsModel(OsKind Kind, byte DefaultTtl, int IcmpErrorQuote, byte IcmpErrorTos, bool IcmpErrorQuoteIsTotal)
{
    /// <summary>Linux: TTL 64 (net.ipv4.ip_default_ttl); icmp_send() quotes as much as fits in 576 bytes and
    /// sends errors with TOS 0xc0 (seen in the real captures: "tos 0xc0, ttl 64").</summary>
    public static readonly OsModel Linux = new(OsKind.Linux, 64, 576, 0xC0, true);

    /// <summary>FreeBSD of the seed report's era (2011, FreeBSD 8): net.inet.icmp.quotelen was 8, so errors
    /// quote the IP header and 8 bytes; TTL 64 (net.inet.ip.ttl). FreeBSD 10+ raised quotelen to 548
    /// (lab option <c>icmp-quote</c>).</summary>
    public static readonly OsModel FreeBsd = new(OsKind.FreeBsd, 64, 8, 0, false);

    /// <summary>OpenBSD: icmp_do_error() quotes the IP header and 8 bytes; TTL 64.</summary>
    public static readonly OsModel OpenBsd = new(OsKind.OpenBsd, 64, 8, 0, false);

    /// <summary>Windows: TTL 128; errors quote the IP header and 8 bytes.</summary>
    public static readonly OsModel Windows = new(OsKind.Windows, 128, 8, 0, false);

    public static OsModel For(OsKind kind) => kind switch
    {
        OsKind.Linux => Linux,
        OsKind.FreeBsd => FreeBsd,
        OsKind.OpenBsd => OpenBsd,
        _ => Windows,
    };

    public static bool TryParse(string text, out OsKind kind)
    {
        switch (text.ToLowerInvariant())
        {
            case "linux": case "ubuntu": case "debian": kind = OsKind.Linux; return true;
            case "freebsd": kind = OsKind.FreeBsd; return true;
            case "openbsd": kind = OsKind.OpenBsd; return true;
            case "windows": kind = OsKind.Windows; return true;
            default: kind = OsKind.Linux; return false;
        }
    }

    public bool IsBsd => Kind is OsKind.FreeBsd or OsKind.OpenBsd;

    /// <summary>How many bytes of <paramref name="offending"/> (an IPv4 packet) an ICMP error of this stack quotes.</summary>
    public int QuoteLength(ReadOnlySpan<byte> offending)
    {
        int hl = (offending[0] & 0x0F) * 4;
        int want = IcmpErrorQuoteIsTotal ? IcmpErrorQuote - 20 - 8 : hl + IcmpErrorQuote;
        return Math.Min(want, offending.Length);
    }

    public override string ToString() => Kind switch
    {
        OsKind.Linux => "linux",
        OsKind.FreeBsd => "freebsd",
        OsKind.OpenBsd => "openbsd",
        _ => "windows",
    };
}
