using System.Text.RegularExpressions;
using FsCheck;
using PfSim.Analysis;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Testing;

/// <summary>
/// A set of packets named the way pf.conf names them (<c>in on em0 proto tcp from 10.0.0.0/8 to &lt;db&gt; port 5432</c>;
/// <c>tcp from any to any port 23</c> works too). The ruleset's macros and tables are in scope. It is a region of
/// header space, so it can be checked exactly, and it generates its own packets for property-based checks.
/// </summary>
public sealed partial class PacketSet
{
    internal PacketSet(RulesetUnderTest ruleset, string text, IReadOnlyList<Box> region, HeaderSpace? space = null)
    {
        Ruleset = ruleset;
        Text = text;
        Region = region;
        Space = space ?? ruleset.Space;
    }

    public RulesetUnderTest Ruleset { get; }
    /// <summary>The selector as written.</summary>
    public string Text { get; }
    public HeaderSpace Space { get; }
    public IReadOnlyList<Box> Region { get; }
    public bool IsEmpty => Region.Count == 0;

    /// <summary>Random packets of the set, drawn from the ruleset's values half of the time, with a shrinker toward plain values.</summary>
    public Arbitrary<TestPacket> Arbitrary => PfGen.Arbitrary(Ruleset.Config, Region, Space);

    public bool Contains(TestPacket p)
    {
        var point = p.ToPoint(Space);
        return Region.Any(b => b.Contains(point));
    }

    /// <summary>The packets of this set that are not in <paramref name="other"/> (same ruleset).</summary>
    public PacketSet Except(PacketSet other) => new(Ruleset, $"{Text} except {other.Text}", Analysis.Region.Subtract(Region, other.Region), Space);

    /// <summary>The packets in both sets.</summary>
    public PacketSet Intersect(PacketSet other) => new(Ruleset, $"{Text} and {other.Text}", Analysis.Region.Intersect(Region, other.Region), Space);

    /// <summary>The first packets of this set that pf decides with <paramref name="action"/>, with a witness each (exact, stateless).</summary>
    public IEnumerable<(Box Box, Decider Decider, TestPacket Witness)> DecidedAs(RuleAction action)
    {
        var map = Ruleset.DecisionsIn(Space);
        foreach (var d in map.Boxes)
        {
            if (d.Decider.Action != action) continue;
            foreach (var b in Region)
                if (d.Box.Intersect(b) is { } part)
                    yield return (part, d.Decider, TestPacket.FromPoint(part.Witness(), Space).WithQuoteIfError());
        }
    }

    public override string ToString() => Text;

    /// <summary>Parses a selector against a ruleset: pf.conf criteria after an implicit <c>pass … no state</c>.</summary>
    public static PacketSet Parse(RulesetUnderTest ruleset, string selector)
    {
        var config = ruleset.Config;
        var criteria = ProtoShorthand().Replace(selector.Trim(), m => $"{m.Groups[1].Value}proto {m.Groups[2].Value}");
        if (criteria is "all" or "any" or "") criteria = "all";
        var macros = string.Concat(config.Macros.Where(m => !m.Value.Contains('"')).Select(m => $"{m.Key} = \"{m.Value}\"\n"));
        var tables = string.Concat(AllTableNames(config).Select(t => $"table <{t}> persist\n"));
        var text = $"{macros}{tables}pass {criteria} no state\n";
        var result = PfConfLoader.LoadText(text, "selector", new LoadOptions { Dialect = config.Dialect, Host = config.Host });
        if (!result.Success || result.Config is null)
            throw new ArgumentException($"cannot read packet selector '{selector}': " +
                string.Join("; ", result.Errors.Select(e => e.Message)), nameof(selector));
        var rules = result.Config.Main.Filter.Select(r => Rebind(r, config)).ToList();
        var names = ruleset.Space.Interfaces.Concat(rules.Where(r => r.Interface is not null && r.Interface != "any").Select(r => r.Interface!));
        var space = new HeaderSpace(names, config.Host);
        var regions = new RuleRegions(space, config);
        var region = new List<Box>();
        foreach (var r in rules) region = Analysis.Region.Union(region, regions.Of(r).Boxes);
        return new PacketSet(ruleset, selector, region, space);
    }

    private static IEnumerable<string> AllTableNames(PfConfig config) =>
        RulesetWalk.AllSites(config.Main).Select(s => s.Ruleset).Distinct().SelectMany(rs => rs.Tables.Keys).Concat(config.Main.Tables.Keys).Distinct();

    /// <summary>Table names in the selector mean the ruleset's tables.</summary>
    private static Rule Rebind(Rule r, PfConfig config)
    {
        AddressMatch Bind(AddressMatch m)
        {
            if (m.Kind != AddressKind.Table || m.Name is null) return m;
            var t = config.Main.FindTable(m.Name) ?? RulesetWalk.AllSites(config.Main).Select(s => s.Ruleset.FindTable(m.Name)).FirstOrDefault(x => x is not null)
                ?? throw new ArgumentException($"table <{m.Name}> is not defined in the ruleset");
            return m with { Table = t };
        }
        return r with { From = r.From with { Address = Bind(r.From.Address) }, To = r.To with { Address = Bind(r.To.Address) } };
    }

    // "tcp from …", "in on em0 udp to …": a protocol name where pf.conf wants "proto NAME".
    [GeneratedRegex(@"(^|\s)(?<!proto\s)(tcp|udp|icmp6?)(?=\s+(from|to|all|port)\b|\s*$)")]
    private static partial Regex ProtoShorthand();
}
