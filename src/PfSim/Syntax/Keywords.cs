namespace PfSim.Syntax;

/// <summary>The reserved words of pf.conf (parse.y's keyword table, OpenBSD and FreeBSD together).
/// An unquoted reserved word is never a STRING: `pass on pass` is a syntax error, as in pfctl.</summary>
public static class Keywords
{
    private static readonly HashSet<string> Words = new(StringComparer.Ordinal)
    {
        "af-to", "all", "allow-opts", "altq", "anchor", "antispoof", "any", "bandwidth", "binat", "binat-anchor",
        "binat-to", "bitmask", "block", "block-policy", "buckets", "burst", "cbq", "code", "codelq", "const",
        "counters", "crop", "debug", "default", "delay", "divert-packet", "divert-reply", "divert-to", "drop",
        "drop-ovl", "dup-to", "fail-policy", "fairq", "fastroute", "file", "fingerprints", "flags", "floating",
        "flows", "flush", "for", "fragment", "from", "global", "group", "hfsc", "hogs", "hostid", "icmp-type",
        "icmp6-type", "if-bound", "in", "include", "inet", "inet6", "interval", "keep", "keepcounters", "label",
        "least-states", "limit", "linkshare", "load", "log", "loginterface", "match", "matches", "max", "max-mss",
        "max-pkt-rate", "max-src-conn", "max-src-conn-rate", "max-src-nodes", "max-src-states", "min", "min-ttl",
        "modulate", "nat", "nat-anchor", "nat-to", "no", "no-df", "no-route", "no-sync", "on", "once",
        "optimization", "os", "out", "overload", "parent", "pass", "pflow", "port", "prio", "priority", "priq",
        "probability", "proto", "qlimit", "quantum", "queue", "quick", "random", "random-id", "rdomain", "rdr",
        "rdr-anchor", "rdr-to", "realtime", "reassemble", "received-on", "reply-to", "require-order", "return",
        "return-icmp", "return-icmp6", "return-rst", "ridentifier", "round-robin", "route", "route-to", "rtable",
        "rule", "ruleset-optimization", "scrub", "set", "set-tos", "skip", "sloppy", "source-hash", "source-track",
        "state", "state-defaults", "state-policy", "static-port", "sticky-address", "syncookies", "synproxy",
        "table", "tag", "tagged", "target", "tbrsize", "timeout", "to", "tos", "ttl", "upperlimit", "urpf-failed",
        "user", "weight",
    };

    public static bool IsKeyword(string word) => Words.Contains(word);
}
