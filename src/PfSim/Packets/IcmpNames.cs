namespace PfSim.Packets;

/// <summary>ICMP and ICMPv6 type and code names as pf.conf and pfctl write them.</summary>
public static class IcmpNames
{
    private static readonly (string Name, byte Type)[] Types4 =
    [
        ("echorep", 0), ("unreach", 3), ("squench", 4), ("redir", 5), ("althost", 6), ("echoreq", 8), ("routeradv", 9),
        ("routersol", 10), ("timex", 11), ("paramprob", 12), ("timereq", 13), ("timerep", 14), ("inforeq", 15),
        ("inforep", 16), ("maskreq", 17), ("maskrep", 18), ("trace", 30), ("dataconv", 31), ("mobredir", 32),
        ("ipv6-where", 33), ("ipv6-here", 34), ("mobregreq", 35), ("mobregrep", 36), ("skip", 39), ("photuris", 40),
    ];

    private static readonly (string Name, byte Type)[] Types6 =
    [
        ("unreach", 1), ("toobig", 2), ("timex", 3), ("paramprob", 4), ("echoreq", 128), ("echorep", 129),
        ("groupqry", 130), ("listqry", 130), ("grouprep", 131), ("listenrep", 131), ("groupterm", 132), ("listendone", 132),
        ("routersol", 133), ("routeradv", 134), ("neighbrsol", 135), ("neighbradv", 136), ("redir", 137),
        ("routrrenum", 138), ("wrureq", 139), ("wrurep", 140), ("fqdnreq", 139), ("fqdnrep", 140), ("niqry", 139),
        ("nirep", 140), ("mtraceresp", 200), ("mtrace", 201),
    ];

    private static readonly (string Name, byte Type, byte Code)[] Codes4 =
    [
        ("net-unr", 3, 0), ("host-unr", 3, 1), ("proto-unr", 3, 2), ("port-unr", 3, 3), ("needfrag", 3, 4),
        ("srcfail", 3, 5), ("net-unk", 3, 6), ("host-unk", 3, 7), ("isolate", 3, 8), ("net-prohib", 3, 9),
        ("host-prohib", 3, 10), ("net-tos", 3, 11), ("host-tos", 3, 12), ("filter-prohib", 3, 13),
        ("host-preced", 3, 14), ("cutoff-preced", 3, 15), ("redir-net", 5, 0), ("redir-host", 5, 1),
        ("redir-tos-net", 5, 2), ("redir-tos-host", 5, 3), ("normal-adv", 9, 0), ("common-adv", 9, 16),
        ("transit", 11, 0), ("reassemb", 11, 1), ("badhead", 12, 0), ("optmiss", 12, 1), ("badlen", 12, 2),
        ("unknown-ind", 40, 1), ("auth-fail", 40, 2), ("decrypt-fail", 40, 3),
    ];

    private static readonly (string Name, byte Type, byte Code)[] Codes6 =
    [
        ("admin-unr", 1, 1), ("noroute-unr", 1, 0), ("beyond-unr", 1, 2), ("addr-unr", 1, 3), ("port-unr", 1, 4),
        ("transit", 3, 0), ("reassemb", 3, 1), ("badhead", 4, 0), ("nxthdr", 4, 1), ("redironlink", 137, 0),
        ("redirrouter", 137, 1),
    ];

    public static bool TryType(string text, bool v6, out byte type)
    {
        if (byte.TryParse(text, out type)) return true;
        foreach (var (n, t) in v6 ? Types6 : Types4) if (n == text) { type = t; return true; }
        return false;
    }

    public static bool TryCode(string text, bool v6, byte type, out byte code)
    {
        if (byte.TryParse(text, out code)) return true;
        foreach (var (n, t, c) in v6 ? Codes6 : Codes4) if (n == text && t == type) { code = c; return true; }
        return false;
    }

    /// <summary>The name pfctl prints for a type, or its number.</summary>
    public static string TypeName(byte type, bool v6)
    {
        foreach (var (n, t) in v6 ? Types6 : Types4) if (t == type) return n;
        return type.ToString();
    }

    public static string CodeName(byte type, byte code, bool v6)
    {
        foreach (var (n, t, c) in v6 ? Codes6 : Codes4) if (t == type && c == code) return n;
        return code.ToString();
    }
}
