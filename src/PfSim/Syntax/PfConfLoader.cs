using System.Text.RegularExpressions;
using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>A ruleset error at a position, printed as pfctl prints it: <c>FILE:LINE: message</c>
/// (a message pfctl prints without a position, such as "no IP address found for x", has Line 0).</summary>
public sealed record ParseError(string File, int Line, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : Message;
}

/// <summary>How to load a pf.conf.</summary>
public sealed record LoadOptions
{
    public Dialect Dialect { get; init; } = Dialect.Auto;
    /// <summary>Macros defined on the command line (<c>-D name=value</c>); they win over the file's.</summary>
    public IReadOnlyDictionary<string, string> Defines { get; init; } = new Dictionary<string, string>();
    /// <summary>The machine pf runs on (interfaces, hosts, users, groups).</summary>
    public HostModel Host { get; init; } = HostModel.Default;
    /// <summary>Ruleset optimization as pfctl -o: "none", "basic" or "profile"; null leaves it to the file's
    /// <c>set ruleset-optimization</c> (none when the file does not say).</summary>
    public string? Optimization { get; init; }
    /// <summary>When set, absolute paths the ruleset names (include, table file, load anchor) are read under this
    /// directory, as if it were the root of the machine the ruleset belongs to.</summary>
    public string? Root { get; init; }

    /// <summary>The path to read for a path named in a ruleset.</summary>
    public string MapPath(string path) =>
        Root is not null && Path.IsPathRooted(path) ? Path.Combine(Root, path.TrimStart('/', '\\')) : path;
}

/// <summary>The outcome of loading: the configuration (null when nothing could be read), errors, and the dialect used.</summary>
public sealed record LoadResult(PfConfig? Config, IReadOnlyList<ParseError> Errors, Dialect Dialect)
{
    public bool Success => Config is not null && Errors.Count == 0;
}

/// <summary>Loads pf.conf text into a <see cref="PfConfig"/> as pfctl does: parse, expand, resolve, number.</summary>
public static partial class PfConfLoader
{
    public static LoadResult LoadFile(string path, LoadOptions options)
    {
        string text = File.ReadAllText(path);
        return LoadText(text, path, options);
    }

    public static LoadResult LoadText(string text, string fileName, LoadOptions options)
    {
        var dialect = options.Dialect == Dialect.Auto ? DetectDialect(text) : options.Dialect;
        // Without --host the machine is the stock box of the dialect (its base system's users and groups).
        if (ReferenceEquals(options.Host, HostModel.Default)) options = options with { Host = HostModel.DefaultFor(dialect) };
        var config = new PfConfig(dialect) { Host = options.Host };
        var errors = new List<ParseError>();
        var parser = new Parser(fileName, text, options, config, errors);
        parser.Run();
        if (dialect != Dialect.FreeBsd) parser.CheckQueues();
        ResolveTables(config.Main, config.Main);
        // pfctl -o wins over the file's set ruleset-optimization; profile finds no kernel counters here and does what basic does.
        if (errors.Count == 0 && (options.Optimization ?? config.Options.RulesetOptimization) is "basic" or "profile")
            RulesetOptimizer.Optimize(config);
        return new LoadResult(config, errors, dialect);
    }

    [GeneratedRegex(@"^\s*(no\s+)?(nat|rdr|binat|scrub|nat-anchor|rdr-anchor|binat-anchor|altq|ether)\b|\s->\s|\bset\s+require-order\b|\bfastroute\b", RegexOptions.Multiline)]
    private static partial Regex FreeBsdSyntax();

    [GeneratedRegex(@"\b(nat-to|rdr-to|binat-to|af-to|divert-packet|received-on|max-pkt-rate|once)\b|^\s*match\b|\bset\s+(reassemble|prio|syncookies)\b", RegexOptions.Multiline)]
    private static partial Regex OpenBsdSyntax();

    /// <summary>Decides the dialect from syntax only one of them has; OpenBSD when nothing tells.</summary>
    public static Dialect DetectDialect(string text)
    {
        bool fb = FreeBsdSyntax().IsMatch(text);
        bool ob = OpenBsdSyntax().IsMatch(text);
        if (fb && !ob) return Dialect.FreeBsd;
        return Dialect.OpenBsd;
    }

    /// <summary>Sets AddressMatch.Table on every table reference; a table only referenced is created empty, as pf does.</summary>
    private static void ResolveTables(Ruleset rs, Ruleset root)
    {
        foreach (var list in new[] { rs.Scrub, rs.Nat, rs.Rdr, rs.Binat, rs.Filter })
        {
            for (int i = 0; i < list.Count; i++)
            {
                var r = list[i];
                var from = Resolve(r.From.Address, rs);
                var to = Resolve(r.To.Address, rs);
                if (!ReferenceEquals(from, r.From.Address) || !ReferenceEquals(to, r.To.Address))
                {
                    var nr = r with { From = r.From with { Address = from }, To = r.To with { Address = to } };
                    list[i] = nr;
                }
            }
        }
        foreach (var child in rs.Anchors.Values) ResolveTables(child, root);
    }

    private static AddressMatch Resolve(AddressMatch a, Ruleset rs)
    {
        if (a.Kind != AddressKind.Table || a.Table is not null) return a;
        var t = rs.FindTable(a.Name!);
        if (t is null)
        {
            t = new Table(a.Name!);
            rs.Tables[a.Name!] = t;
            t.Referenced = true;
        }
        return a with { Table = t };
    }
}
