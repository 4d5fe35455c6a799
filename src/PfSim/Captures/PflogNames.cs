namespace PfSim.Captures;

/// <summary>pf's action, reason and direction names as tcpdump prints them in a pflog decode (pf-semantics.md §6.3).</summary>
public static class PflogNames
{
    // PF_PASS … PF_AFRT (OpenBSD pfvar.h), in tcpdump.org's words.
    private static readonly string[] Actions =
    [
        "pass", "block", "scrub", "unkn(3)", "nat", "nonat", "binat", "nobinat", "rdr", "nordr",
        "synproxy-drop", "defer", "match", "divert", "rt", "afrt",
    ];

    // PFRES_NAMES (OpenBSD pfvar.h); 15 is OpenBSD's "translate".
    private static readonly string[] Reasons =
    [
        "match", "bad-offset", "fragment", "short", "normalize", "memory", "bad-timestamp", "congestion",
        "ip-option", "proto-cksum", "state-mismatch", "state-insert", "state-limit", "src-limit", "synproxy",
        "translate", "no-route",
    ];

    public static string Action(byte action) => action < Actions.Length ? Actions[action] : $"unkn({action})";

    public static string Reason(byte reason) => reason < Reasons.Length ? Reasons[reason] : $"unkn({reason})";

    /// <summary>The reason code of a name as tcpdump prints it (<c>state-mismatch</c> → 10), or -1.</summary>
    public static int ReasonCode(string name) => Array.IndexOf(Reasons, name);

    /// <summary>The action code of a name (<c>block</c> → 1), or -1.</summary>
    public static int ActionCode(string name) => Array.IndexOf(Actions, name);

    public static string Dir(Direction dir) => dir switch
    {
        Direction.In => "in",
        Direction.Out => "out",
        Direction.Fwd => "fwd",
        _ => "in/out",
    };

    /// <summary>tcpdump.org's "rule N[.anchor.M]/R(reason)" prefix of a pflog line.</summary>
    public static string RulePrefix(in PflogHeader h)
    {
        string rule = h.InAnchor ? $"{h.RuleNumber}.{h.AnchorText}.{h.SubruleNumber}" : h.RuleNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"rule {rule}/{h.Reason}({Reason(h.Reason)})";
    }
}
