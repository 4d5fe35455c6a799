namespace PfSim.Rules;

/// <summary>The global <c>set</c> options that change what pf does with packets, with pf's defaults.</summary>
public sealed class PfOptions
{
    /// <summary><c>set block-policy</c>: true = return, false = drop (the default).</summary>
    public bool BlockPolicyReturn { get; set; }
    /// <summary><c>set state-policy</c>: true = if-bound, false = floating (the default).</summary>
    public bool StatePolicyIfBound { get; set; }
    /// <summary>Interfaces and groups of <c>set skip on</c>.</summary>
    public List<string> Skip { get; } = [];
    /// <summary><c>set timeout</c> values by name (tcp.first, udp.single, interval, adaptive.start, …).</summary>
    public Dictionary<string, uint> Timeouts { get; } = new(StringComparer.Ordinal);
    /// <summary><c>set limit</c> values by name (states, src-nodes, frags, tables, table-entries).</summary>
    public Dictionary<string, uint> Limits { get; } = new(StringComparer.Ordinal);
    /// <summary><c>set optimization</c> (normal, high-latency, satellite, aggressive, conservative).</summary>
    public string Optimization { get; set; } = "normal";
    /// <summary><c>set ruleset-optimization</c> (none, basic, profile).</summary>
    public string? RulesetOptimization { get; set; }
    /// <summary><c>set reassemble yes|no</c>.</summary>
    public bool Reassemble { get; set; } = true;
    /// <summary>Options in source order, as pfctl -nv prints them ("set limit states 500").</summary>
    public List<string> Printed { get; } = [];

    /// <summary>The default value pf uses for a timeout name (OpenBSD values; FreeBSD differs only for frag).</summary>
    public static uint DefaultTimeout(string name) => name switch
    {
        "tcp.first" => 120,
        "tcp.opening" => 30,
        "tcp.established" => 86400,
        "tcp.closing" => 900,
        "tcp.finwait" => 45,
        "tcp.closed" => 90,
        "tcp.tsdiff" => 30,
        "udp.first" => 60,
        "udp.single" => 30,
        "udp.multiple" => 60,
        "icmp.first" => 20,
        "icmp.error" => 10,
        "other.first" => 60,
        "other.single" => 30,
        "other.multiple" => 60,
        "frag" => 60,
        "interval" => 10,
        "src.track" => 0,
        _ => 0,
    };

    /// <summary>The timeout in force for a name: <c>set timeout</c> if given, else pf's default.</summary>
    public uint Timeout(string name) => Timeouts.TryGetValue(name, out var v) ? v : DefaultTimeout(name);
}

/// <summary>A loaded pf configuration: the main ruleset with its anchors, global options, and the dialect it was read in.</summary>
public sealed class PfConfig
{
    public PfConfig(Dialect dialect) => Dialect = dialect;

    public Dialect Dialect { get; }
    public Ruleset Main { get; } = new("");
    public PfOptions Options { get; } = new();
    /// <summary>Macro definitions in order (pfctl -nv prints them first).</summary>
    public List<KeyValuePair<string, string>> Macros { get; } = [];
    /// <summary>What pfctl -nv prints while it parses (macros, options, tables), in source order, before the rules.</summary>
    public List<string> Printed { get; } = [];
    /// <summary>Things PfSim read but does not simulate (FreeBSD ether rules), as FILE:LINE notes.</summary>
    public List<PfSim.Syntax.ParseError> Warnings { get; } = [];
    /// <summary>OpenBSD queues in definition order (pfctl -nv prints them after the options, before the rules).</summary>
    public List<Queue> Queues { get; } = [];
    /// <summary><c>load anchor NAME from FILE</c> statements, in order.</summary>
    public List<(string Anchor, string File)> LoadAnchors { get; } = [];
    /// <summary>The host model the configuration was resolved against.</summary>
    public HostModel Host { get; init; } = HostModel.Default;
}
