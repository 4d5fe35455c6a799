namespace PfSim.Engine;

/// <summary>Why pf decided as it did: pf's PFRES_* codes, in pflog's numbering.</summary>
public enum Reason : byte
{
    Match = 0,
    BadOffset = 1,
    Fragment = 2,
    Short = 3,
    Normalize = 4,
    Memory = 5,
    BadTimestamp = 6,
    Congestion = 7,
    IpOption = 8,
    ProtoChecksum = 9,
    StateMismatch = 10,
    StateInsert = 11,
    StateLimit = 12,
    SrcLimit = 13,
    Synproxy = 14,
    Translate = 15,
    NoRoute = 16,
}

public static class ReasonNames
{
    private static readonly string[] Names =
    [
        "match", "bad-offset", "fragment", "short", "normalize", "memory", "bad-timestamp", "congestion",
        "ip-option", "proto-cksum", "state-mismatch", "state-insert", "state-limit", "src-limit", "synproxy",
        "translate", "no-route",
    ];

    /// <summary>The reason as tcpdump prints it in a pflog line.</summary>
    public static string Name(this Reason r) => (int)r < Names.Length ? Names[(int)r] : ((int)r).ToString();
}
