namespace PfSim.Rules;

/// <summary>pf.conf dialect.</summary>
public enum Dialect : byte
{
    /// <summary>Decide from the syntax.</summary>
    Auto = 0,
    /// <summary>Current OpenBSD: one rule list, match rules, nat-to/rdr-to.</summary>
    OpenBsd,
    /// <summary>FreeBSD's classic pf: separate nat/rdr/binat/scrub lists, statement order enforced.</summary>
    FreeBsd,
}

/// <summary>
/// One ruleset: the main ruleset or an anchor. Rules are numbered from 0 per list, as pf numbers them.
/// On OpenBSD everything is in <see cref="Filter"/>; FreeBSD keeps translation and scrub rules apart.
/// </summary>
public sealed class Ruleset
{
    public Ruleset(string path, Ruleset? parent = null)
    {
        Path = path;
        Parent = parent;
    }

    /// <summary>Anchor path ("" for the main ruleset, "a/b" for nested anchors).</summary>
    public string Path { get; }
    /// <summary>The last component of <see cref="Path"/> (what pflog records in its ruleset field).</summary>
    public string Name => Path.Length == 0 ? "" : Path[(Path.LastIndexOf('/') + 1)..];
    public Ruleset? Parent { get; }

    /// <summary>pass/block/match/anchor rules (OpenBSD: also nat-to/rdr-to rules, which are filter rules there).</summary>
    public List<Rule> Filter { get; } = [];
    /// <summary>FreeBSD <c>scrub</c> rules (first match).</summary>
    public List<Rule> Scrub { get; } = [];
    /// <summary>FreeBSD <c>nat</c> rules (first match).</summary>
    public List<Rule> Nat { get; } = [];
    /// <summary>FreeBSD <c>rdr</c> rules (first match).</summary>
    public List<Rule> Rdr { get; } = [];
    /// <summary>FreeBSD <c>binat</c> rules (first match).</summary>
    public List<Rule> Binat { get; } = [];

    /// <summary>Tables defined in this ruleset, by name.</summary>
    public Dictionary<string, Table> Tables { get; } = new(StringComparer.Ordinal);
    /// <summary>Tables the ruleset optimizer made of rules that differed in one address, in the order it made them (pfctl -nv prints their definitions before the rules).</summary>
    public List<Table> OptimizerTables { get; } = [];
    /// <summary>Child anchors by name, kept in name order (pf evaluates <c>anchor "x/*"</c> children in that order).</summary>
    public SortedDictionary<string, Ruleset> Anchors { get; } = new(StringComparer.Ordinal);

    /// <summary>A table visible from this ruleset: its own, else the main ruleset's (pf's root fallback).</summary>
    public Table? FindTable(string name)
    {
        if (Tables.TryGetValue(name, out var t)) return t;
        var root = this;
        while (root.Parent is not null) root = root.Parent;
        return root.Tables.TryGetValue(name, out t) ? t : null;
    }

    /// <summary>The anchor at a path below this ruleset, or null.</summary>
    public Ruleset? FindAnchor(string path)
    {
        var rs = this;
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            if (!rs.Anchors.TryGetValue(part, out rs!)) return null;
        return rs;
    }

    /// <summary>The child anchor at a relative path, created if missing.</summary>
    public Ruleset GetOrAddAnchor(string relativePath)
    {
        var rs = this;
        foreach (var part in relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!rs.Anchors.TryGetValue(part, out var child))
            {
                child = new Ruleset(rs.Path.Length == 0 ? part : rs.Path + "/" + part, rs);
                rs.Anchors.Add(part, child);
            }
            rs = child;
        }
        return rs;
    }

    /// <summary>Every rule list of this ruleset, in pf's order of evaluation for a packet (scrub, binat/nat/rdr, filter).</summary>
    public IEnumerable<Rule> AllRules => Scrub.Concat(Nat).Concat(Rdr).Concat(Binat).Concat(Filter);
}

/// <summary>One entry of a table: a network, possibly negated (<c>!10.1.0.0/16</c>).</summary>
public readonly record struct TableEntry(Address Address, int Prefix, bool Not);

/// <summary>A pf table: longest-prefix match over its entries; the address matches when the best entry is not negated.</summary>
public sealed class Table
{
    public Table(string name) => Name = name;

    public string Name { get; }
    /// <summary>Flags as written: persist, const, counters.</summary>
    public bool Persist { get; set; }
    public bool Const { get; set; }
    public bool Counters { get; set; }
    public List<TableEntry> Entries { get; } = [];
    /// <summary>Created because a rule referred to it without a <c>table</c> definition (empty, as pf creates it).</summary>
    public bool Referenced { get; set; }
    /// <summary>The name an optimizer table has once loaded (pfctl -vvsr): pfctl renames <c>__automatic_N</c> to <c>__automatic_HEX_K</c>;
    /// PfSim leaves the random HEX out, as pfctl's regression suite does. Null for every other table.</summary>
    public string? LoadedName { get; set; }
    /// <summary>Files named by <c>file "…"</c>, in order.</summary>
    public List<string> Files { get; } = [];

    /// <summary>pfr_match_addr: true when the most specific entry containing <paramref name="a"/> exists and is not negated.</summary>
    public bool Contains(in Address a)
    {
        int best = -1;
        bool bestNot = false;
        foreach (var e in Entries)
        {
            if (e.Prefix > best && a.InNetwork(e.Address, e.Prefix))
            {
                best = e.Prefix;
                bestNot = e.Not;
            }
        }
        return best >= 0 && !bestNot;
    }
}
