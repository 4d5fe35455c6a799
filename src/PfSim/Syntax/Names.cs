namespace PfSim.Syntax;

/// <summary>
/// The name tables pfctl reads from the system (/etc/protocols, /etc/services) and compiles in
/// (ICMP type and code names of pfctl_parser.c), shipped here so that every machine resolves alike.
/// </summary>
public static class Names
{
    // /etc/protocols of the base system: the first name is the one getprotobynumber() returns; aliases follow.
    private static readonly (byte Number, string[] Names)[] ProtocolTable =
    [
        (0, ["ip", "IP"]), (1, ["icmp", "ICMP"]), (2, ["igmp", "IGMP"]), (3, ["ggp", "GGP"]), (4, ["ipencap", "IP-ENCAP"]),
        (5, ["st2", "ST2"]), (6, ["tcp", "TCP"]), (7, ["cbt", "CBT"]), (8, ["egp", "EGP"]), (9, ["igp", "IGP"]),
        (12, ["pup", "PUP"]), (17, ["udp", "UDP"]), (20, ["hmp", "HMP"]), (22, ["xns-idp", "XNS-IDP"]),
        (27, ["rdp", "RDP"]), (29, ["iso-tp4", "ISO-TP4"]), (33, ["dccp", "DCCP"]), (36, ["xtp", "XTP"]),
        (37, ["ddp", "DDP"]), (38, ["idpr-cmtp", "IDPR-CMTP"]), (41, ["ipv6", "IPV6"]), (43, ["ipv6-route", "IPV6-ROUTE"]),
        (44, ["ipv6-frag", "IPV6-FRAG"]), (45, ["idrp", "IDRP"]), (46, ["rsvp", "RSVP"]), (47, ["gre", "GRE"]),
        (50, ["esp", "ESP"]), (51, ["ah", "AH"]), (57, ["skip", "SKIP"]), (58, ["ipv6-icmp", "IPV6-ICMP", "icmp6"]),
        (59, ["ipv6-nonxt", "IPV6-NONXT"]), (60, ["ipv6-opts", "IPV6-OPTS"]), (66, ["rvd", "RVD"]), (81, ["vmtp", "VMTP"]),
        (88, ["eigrp", "EIGRP"]), (89, ["ospf", "OSPFIGP"]), (94, ["ipip", "IPIP"]), (97, ["etherip", "ETHERIP"]),
        (98, ["encap", "ENCAP"]), (103, ["pim", "PIM"]), (108, ["ipcomp", "IPCOMP"]), (112, ["carp", "CARP", "vrrp"]),
        (115, ["l2tp", "L2TP"]), (132, ["sctp", "SCTP"]), (137, ["mpls-in-ip", "MPLS-IN-IP"]), (240, ["pfsync", "PFSYNC"]),
    ];

    private static readonly Dictionary<string, byte> ProtoByName = BuildProtoByName();
    private static readonly string?[] ProtoByNumber = BuildProtoByNumber();

    private static Dictionary<string, byte> BuildProtoByName()
    {
        var d = new Dictionary<string, byte>(StringComparer.Ordinal);
        foreach (var (n, names) in ProtocolTable)
            foreach (var name in names) d.TryAdd(name, n);
        return d;
    }

    private static string?[] BuildProtoByNumber()
    {
        var a = new string?[256];
        foreach (var (n, names) in ProtocolTable) a[n] = names[0];
        return a;
    }

    /// <summary>getprotobyname.</summary>
    public static bool TryProtocol(string name, out byte number) => ProtoByName.TryGetValue(name, out number);

    /// <summary>getprotobynumber: the protocol's name, or null.</summary>
    public static string? ProtocolName(byte number) => ProtoByNumber[number];

    // /etc/services (tcp and udp share most names); first entry for a port is what getservbyport returns.
    private static readonly (string Name, ushort Port, byte Protos)[] ServiceTable = BuildServices();
    private const byte Tcp = 1, Udp = 2, Both = 3;

    private static (string, ushort, byte)[] BuildServices() =>
    [
        ("tcpmux", 1, Both), ("compressnet", 2, Both), ("compressnet", 3, Both), ("rje", 5, Both), ("echo", 7, Both),
        ("discard", 9, Both), ("systat", 11, Both), ("daytime", 13, Both), ("qotd", 17, Both), ("msp", 18, Both),
        ("chargen", 19, Both), ("ftp-data", 20, Both), ("ftp", 21, Both), ("ssh", 22, Both), ("telnet", 23, Both),
        ("smtp", 25, Both), ("nsw-fe", 27, Both), ("msg-icp", 29, Both), ("msg-auth", 31, Both), ("dsp", 33, Both),
        ("time", 37, Both), ("rap", 38, Both), ("rlp", 39, Both), ("graphics", 41, Both), ("name", 42, Both),
        ("nicname", 43, Both), ("whois", 43, Both), ("mpm-flags", 44, Both), ("mpm", 45, Both), ("mpm-snd", 46, Both),
        ("ni-ftp", 47, Both), ("auditd", 48, Both), ("tacacs", 49, Both), ("re-mail-ck", 50, Both),
        ("xns-time", 52, Both), ("domain", 53, Both), ("xns-ch", 54, Both), ("isi-gl", 55, Both), ("xns-auth", 56, Both),
        ("xns-mail", 58, Both), ("ni-mail", 61, Both), ("acas", 62, Both), ("whois++", 63, Both), ("covia", 64, Both),
        ("tacacs-ds", 65, Both), ("sql*net", 66, Both), ("bootps", 67, Both), ("bootpc", 68, Both), ("tftp", 69, Both),
        ("gopher", 70, Both), ("netrjs-1", 71, Both), ("netrjs-2", 72, Both), ("netrjs-3", 73, Both), ("netrjs-4", 74, Both),
        ("deos", 76, Both), ("vettcp", 78, Both), ("finger", 79, Both), ("http", 80, Both), ("www", 80, Both),
        ("www-http", 80, Both), ("hosts2-ns", 81, Both), ("xfer", 82, Both), ("mit-ml-dev", 83, Both),
        ("ctf", 84, Both), ("mfcobol", 86, Both), ("kerberos", 88, Both), ("su-mit-tg", 89, Both), ("dnsix", 90, Both),
        ("mit-dov", 91, Both), ("npp", 92, Both), ("dcp", 93, Both), ("objcall", 94, Both), ("supdup", 95, Both),
        ("dixie", 96, Both), ("swift-rvf", 97, Both), ("tacnews", 98, Both), ("metagram", 99, Both),
        ("hostname", 101, Both), ("iso-tsap", 102, Both), ("gppitnp", 103, Both), ("acr-nema", 104, Both),
        ("csnet-ns", 105, Both), ("3com-tsmux", 106, Both), ("rtelnet", 107, Both), ("snagas", 108, Both),
        ("pop2", 109, Both), ("pop3", 110, Both), ("sunrpc", 111, Both), ("mcidas", 112, Both), ("auth", 113, Both),
        ("ident", 113, Both), ("audionews", 114, Both), ("sftp", 115, Both), ("ansanotify", 116, Both), ("pip", 321, Both),
        ("uucp-path", 117, Both), ("sqlserv", 118, Both), ("nntp", 119, Both), ("cfdptkt", 120, Both),
        ("erpc", 121, Both), ("smakynet", 122, Both), ("ntp", 123, Both), ("ansatrader", 124, Both),
        ("locus-map", 125, Both), ("unitary", 126, Both), ("locus-con", 127, Both), ("gss-xlicen", 128, Both),
        ("pwdgen", 129, Both), ("cisco-fna", 130, Both), ("cisco-tna", 131, Both), ("cisco-sys", 132, Both),
        ("statsrv", 133, Both), ("ingres-net", 134, Both), ("loc-srv", 135, Both), ("epmap", 135, Both),
        ("profile", 136, Both), ("netbios-ns", 137, Both), ("netbios-dgm", 138, Both), ("netbios-ssn", 139, Both),
        ("emfis-data", 140, Both), ("emfis-cntl", 141, Both), ("bl-idm", 142, Both), ("imap", 143, Both),
        ("imap4", 143, Both), ("news", 144, Both), ("snmp", 161, Both), ("snmp-trap", 162, Both), ("snmptrap", 162, Both),
        ("xdmcp", 177, Both), ("bgp", 179, Both), ("irc", 194, Both), ("smux", 199, Both), ("at-rtmp", 201, Both),
        ("at-nbp", 202, Both), ("at-echo", 204, Both), ("at-zis", 206, Both), ("qmtp", 209, Both), ("z3950", 210, Both),
        ("ipx", 213, Both), ("imap3", 220, Both), ("ldap", 389, Both), ("https", 443, Both), ("microsoft-ds", 445, Both),
        ("kpasswd", 464, Both), ("isakmp", 500, Both), ("exec", 512, Tcp), ("biff", 512, Udp), ("comsat", 512, Udp),
        ("login", 513, Tcp), ("who", 513, Udp), ("shell", 514, Tcp), ("cmd", 514, Tcp), ("syslog", 514, Udp),
        ("printer", 515, Both), ("talk", 517, Udp), ("ntalk", 518, Udp), ("route", 520, Udp), ("router", 520, Udp),
        ("ripng", 521, Udp), ("timed", 525, Udp), ("tempo", 526, Tcp), ("courier", 530, Tcp), ("conference", 531, Tcp),
        ("netnews", 532, Tcp), ("netwall", 533, Udp), ("uucp", 540, Tcp), ("klogin", 543, Tcp), ("kshell", 544, Tcp),
        ("dhcpv6-client", 546, Both), ("dhcpv6-server", 547, Both), ("afpovertcp", 548, Both), ("rtsp", 554, Both),
        ("remotefs", 556, Tcp), ("nntps", 563, Both), ("submission", 587, Both), ("ldaps", 636, Both),
        ("rsync", 873, Both), ("ftps-data", 989, Both), ("ftps", 990, Both), ("telnets", 992, Both),
        ("imaps", 993, Both), ("pop3s", 995, Both), ("socks", 1080, Both), ("openvpn", 1194, Both),
        ("ms-sql-s", 1433, Both), ("ms-sql-m", 1434, Both), ("pip", 1321, Both), ("ingreslock", 1524, Both), ("radius", 1812, Both),
        ("radius-acct", 1813, Both), ("nfsd", 2049, Both), ("nfs", 2049, Both), ("cvspserver", 2401, Both),
        ("mysql", 3306, Both), ("rdp", 3389, Tcp), ("svn", 3690, Both), ("sip", 5060, Both), ("xmpp-client", 5222, Both),
        ("postgresql", 5432, Both), ("x11", 6000, Both), ("irc-serv", 6667, Tcp), ("spamd", 8025, Tcp), ("spamd-cfg", 8026, Tcp),
    ];

    /// <summary>getservbyname(name, proto) for "tcp" or "udp".</summary>
    public static bool TryService(string name, bool udp, out ushort port)
    {
        byte want = udp ? Udp : Tcp;
        foreach (var (n, p, protos) in ServiceTable)
            if ((protos & want) != 0 && n == name) { port = p; return true; }
        port = 0;
        return false;
    }

    /// <summary>getservbyport(port, proto): the first name of a port, or null.</summary>
    public static string? ServiceName(ushort port, bool udp)
    {
        byte want = udp ? Udp : Tcp;
        foreach (var (n, p, protos) in ServiceTable)
            if ((protos & want) != 0 && p == port) return n;
        return null;
    }

    private static readonly (string Name, byte Type)[] Icmp4Types =
    [
        ("echoreq", 8), ("echorep", 0), ("unreach", 3), ("squench", 4), ("redir", 5), ("althost", 6), ("routeradv", 9),
        ("routersol", 10), ("timex", 11), ("paramprob", 12), ("timereq", 13), ("timerep", 14), ("inforeq", 15),
        ("inforep", 16), ("maskreq", 17), ("maskrep", 18), ("trace", 30), ("dataconv", 31), ("mobredir", 32),
        ("ipv6-where", 33), ("ipv6-here", 34), ("mobregreq", 35), ("mobregrep", 36), ("skip", 39), ("photuris", 40),
    ];

    private static readonly (string Name, byte Type)[] Icmp6Types =
    [
        ("unreach", 1), ("toobig", 2), ("timex", 3), ("paramprob", 4), ("echoreq", 128), ("echorep", 129),
        ("groupqry", 130), ("listqry", 130), ("grouprep", 131), ("listenrep", 131), ("groupterm", 132),
        ("listendone", 132), ("routersol", 133), ("routeradv", 134), ("neighbrsol", 135), ("neighbradv", 136),
        ("redir", 137), ("routrrenum", 138), ("wrureq", 139), ("wrurep", 140), ("fqdnreq", 139), ("fqdnrep", 140),
        ("niqry", 139), ("nirep", 140), ("mtraceresp", 200), ("mtrace", 201), ("listenrepv2", 143),
    ];

    private static readonly (string Name, byte Type, byte Code)[] Icmp4Codes =
    [
        ("net-unr", 3, 0), ("host-unr", 3, 1), ("proto-unr", 3, 2), ("port-unr", 3, 3), ("needfrag", 3, 4),
        ("srcfail", 3, 5), ("net-unk", 3, 6), ("host-unk", 3, 7), ("isolate", 3, 8), ("net-prohib", 3, 9),
        ("host-prohib", 3, 10), ("net-tos", 3, 11), ("host-tos", 3, 12), ("filter-prohib", 3, 13),
        ("host-preced", 3, 14), ("cutoff-preced", 3, 15), ("redir-net", 5, 0), ("redir-host", 5, 1),
        ("redir-tos-net", 5, 2), ("redir-tos-host", 5, 3), ("normal-adv", 9, 0), ("common-adv", 9, 16),
        ("transit", 11, 0), ("reassemb", 11, 1), ("badhead", 12, 0), ("optmiss", 12, 1), ("badlen", 12, 2),
        ("unknown-ind", 40, 1), ("auth-fail", 40, 2), ("decrypt-fail", 40, 3),
    ];

    private static readonly (string Name, byte Type, byte Code)[] Icmp6Codes =
    [
        ("admin-unr", 1, 1), ("noroute-unr", 1, 0), ("notnbr-unr", 1, 2), ("beyond-unr", 1, 2), ("addr-unr", 1, 3),
        ("port-unr", 1, 4), ("transit", 3, 0), ("reassemb", 3, 1), ("badhead", 4, 0), ("nxthdr", 4, 1),
        ("redironlink", 137, 0), ("redirrouter", 137, 1),
    ];

    public static bool TryIcmpType(string name, bool v6, out byte type)
    {
        foreach (var (n, t) in v6 ? Icmp6Types : Icmp4Types)
            if (n == name) { type = t; return true; }
        type = 0;
        return false;
    }

    public static string? IcmpTypeName(byte type, bool v6)
    {
        foreach (var (n, t) in v6 ? Icmp6Types : Icmp4Types)
            if (t == type) return n;
        return null;
    }

    public static bool TryIcmpCode(byte type, string name, bool v6, out byte code)
    {
        foreach (var (n, t, c) in v6 ? Icmp6Codes : Icmp4Codes)
            if (t == type && n == name) { code = c; return true; }
        code = 0;
        return false;
    }

    /// <summary>The code name for (type, code); with <paramref name="freeBsd"/> the tables of FreeBSD 12 (no notnbr-unr).</summary>
    public static string? IcmpCodeName(byte type, byte code, bool v6, bool freeBsd = false)
    {
        foreach (var (n, t, c) in v6 ? Icmp6Codes : Icmp4Codes)
            if (t == type && c == code && !(freeBsd == false && n == "notnbr-unr")) return n;
        return null;
    }
}
