using FsCheck;
using FsCheck.Fluent;

namespace PfSim.Testing;

/// <summary>
/// The same expectations as FsCheck properties over generated packets and flows, run through PfSim's engine:
/// compose them in your own [Property] tests, or call <c>.Check(...)</c>. A failure shows the shrunk witness and
/// PfSim's explanation of its verdict.
/// </summary>
public static class PfProperties
{
    /// <summary>Every generated packet of the set passes.</summary>
    public static Property AllPass(PacketSet set) => Prop.ForAll(set.Arbitrary, p => Check(set.Ruleset, p, true));

    /// <summary>Every generated packet of the set is blocked.</summary>
    public static Property AllBlocked(PacketSet set) => Prop.ForAll(set.Arbitrary, p => Check(set.Ruleset, p, false));

    /// <summary>A generated packet of <paramref name="domain"/> passes exactly when it is in <paramref name="allowed"/>.</summary>
    public static Property AllowsOnly(PacketSet domain, PacketSet allowed) =>
        Prop.ForAll(domain.Arbitrary, p => Check(domain.Ruleset, p, allowed.Contains(p)));

    /// <summary>Every generated flow of <paramref name="kind"/> from the first set's sources to the second set's destinations passes both ways.</summary>
    public static Property FlowsPassBothWays(RulesetUnderTest ruleset, FlowKind kind, PacketSet clients, PacketSet servers, FlowPath path, int? serverPort = null)
    {
        var gen = FlowGen.Flows(kind, clients, servers, path, serverPort);
        return Prop.ForAll(Arb.From(gen, FlowGen.Shrink), f =>
        {
            var o = ruleset.Run(f);
            if (!o.PassedBothWays) throw new RulesetAssertionException($"expected the flow to pass both ways:\n{o}");
        });
    }

    private static void Check(RulesetUnderTest r, TestPacket p, bool pass)
    {
        var o = r.Evaluate(p);
        if (o.Passed != pass)
            throw new RulesetAssertionException($"expected {(pass ? "pass" : "block")}, but pf does {o.ActionWord}:\n  {o}");
    }
}

/// <summary>Generators of whole flows between generated clients and servers.</summary>
public static class FlowGen
{
    public static Gen<Flow> Flows(FlowKind kind, PacketSet clients, PacketSet servers, FlowPath path, int? serverPort = null)
    {
        var port = serverPort is { } sp ? Gen.Constant(sp) : kind == FlowKind.Dns ? Gen.Constant(53) : servers.Arbitrary.Generator.Select(p => p.DestinationPort);
        return from c in clients.Arbitrary.Generator
               from s in servers.Arbitrary.Generator.Where(s => s.Destination.Family == c.Source.Family)
               from cport in Gen.Choose(1024, 65535)
               from dport in port
               from id in Gen.Choose(1, 65535)
               select new Flow(kind, c.Source, s.Destination, cport, dport, path, id);
    }

    /// <summary>Plainer flows: the usual ephemeral port, icmp id 1.</summary>
    public static IEnumerable<Flow> Shrink(Flow f)
    {
        if (f.ClientPort != 49152) yield return f with { ClientPort = 49152 };
        if (f.IcmpId != 1) yield return f with { IcmpId = 1 };
    }
}
