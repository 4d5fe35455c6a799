using PfSim.Engine;
using PfSim.Explain;
using PfSim.Rules;

namespace PfSim.Flows;

/// <summary>pf on a lab node: the engine's <see cref="Firewall"/> behind the flow modeler's <see cref="IPacketFilter"/>.</summary>
public sealed class PfFilter : IPacketFilter
{
    private readonly bool _explain;

    public PfFilter(PfConfig config, bool explain = true)
    {
        Firewall = new Firewall(config, new FirewallOptions { Dialect = config.Dialect });
        _explain = explain;
    }

    public Firewall Firewall { get; }

    public FilterVerdict Test(Span<byte> packet, string ifname, Direction dir, double time)
    {
        int ifId = Firewall.InterfaceId(ifname);
        RuleTraceRecorder? trace = _explain ? new RuleTraceRecorder() : null;
        var v = Firewall.TestInPlace(packet, ifId, dir, time, default, trace);
        Func<string>? explain = null;
        if (trace is not null)
        {
            var copy = packet.ToArray();
            var fw = Firewall;
            var verdict = v;
            string? text = null;
            explain = () => text ??= Explainer.Explain(fw, copy, verdict, trace, ifId, dir);
        }
        return new FilterVerdict
        {
            Pass = v.Passed,
            Rule = v.Rule?.Number,
            RuleText = v.Rule is null ? null : Describe.Rule(v.Rule, v.Ruleset),
            RuleModel = v.Rule,
            Anchor = v.AnchorPath,
            State = v.StateUse,
            Reason = v.Reason.Name(),
            ReasonCode = (byte)v.Reason,
            Log = v.Log,
            Return = v.Return switch { ReturnKind.TcpRst => "tcp-rst", ReturnKind.Icmp => "icmp", _ => null },
            ReturnIcmpCode = v.ReturnCode,
            Quoted = v.Quoted,
            Explain = explain,
        };
    }
}
