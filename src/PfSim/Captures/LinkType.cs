namespace PfSim.Captures;

/// <summary>The pcap LINKTYPE_ values PfSim reads (tcpdump.org's linktypes list; DLT_ aliases noted).</summary>
public enum LinkType : ushort
{
    /// <summary>BSD loopback: a 4-byte address family in the capturing host's byte order.</summary>
    Null = 0,
    Ethernet = 1,
    /// <summary>PPP with an optional FF 03 address/control prefix and a 1- or 2-byte protocol.</summary>
    Ppp = 9,
    /// <summary>DLT_RAW as most systems number it: the frame starts at the IP header.</summary>
    RawDlt12 = 12,
    /// <summary>DLT_RAW as OpenBSD numbers it.</summary>
    RawDlt14 = 14,
    /// <summary>PPP in HDLC-like framing (RFC 1662), as written by some routers.</summary>
    PppHdlc = 50,
    /// <summary>LINKTYPE_RAW: the frame starts at the IP header.</summary>
    Raw = 101,
    /// <summary>OpenBSD loopback: a 4-byte address family in network byte order.</summary>
    Loop = 108,
    /// <summary>Linux "cooked" capture v1 (16-byte header).</summary>
    LinuxSll = 113,
    /// <summary>pf's log interface: a pfloghdr, then the packet from its IP header.</summary>
    Pflog = 117,
    /// <summary>Solaris ipnet (24-byte header).</summary>
    Ipnet = 226,
    Ipv4 = 228,
    Ipv6 = 229,
    /// <summary>Linux "cooked" capture v2 (20-byte header).</summary>
    LinuxSll2 = 276,
}

/// <summary>Names of link types as tcpdump prints them in "reading from file …, link-type X".</summary>
public static class LinkTypes
{
    /// <summary>True when PfSim can find the IP packet in frames of this link type.</summary>
    public static bool IsSupported(int linkType) => linkType switch
    {
        0 or 1 or 9 or 12 or 14 or 50 or 101 or 108 or 113 or 117 or 226 or 228 or 229 or 276 => true,
        _ => false,
    };

    public static string Name(int linkType) => linkType switch
    {
        0 => "NULL",
        1 => "EN10MB",
        9 => "PPP",
        12 or 14 or 101 => "RAW",
        50 => "PPP_HDLC",
        108 => "LOOP",
        113 => "LINUX_SLL",
        117 => "PFLOG",
        226 => "IPNET",
        228 => "IPV4",
        229 => "IPV6",
        276 => "LINUX_SLL2",
        _ => linkType.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
