using System.Text.Json;
using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Explain;

/// <summary>The verdict fields of the JSON contract (docs/cli.md), written the same way by every command that prints verdicts.</summary>
public static class VerdictJson
{
    /// <summary>Writes action, rule, anchor, state, reason, log, return and nat into the open object.</summary>
    public static void WriteFields(Utf8JsonWriter w, in Verdict v)
    {
        w.WriteString("action", v.Action == RuleAction.Pass ? "pass" : "block");
        if (v.Rule is null) w.WriteNull("rule"); else w.WriteNumber("rule", v.Rule.Number);
        w.WriteString("anchor", v.AnchorPath);
        w.WriteString("state", v.StateUse switch { StateUse.New => "new", StateUse.Match => "match", _ => "none" });
        w.WriteString("reason", v.Reason.Name());
        w.WriteBoolean("log", v.Log);
        if (Return(v) is string ret) w.WriteString("return", ret); else w.WriteNull("return");
        if (v.Nat is NatResult nat)
        {
            w.WriteStartObject("nat");
            w.WriteString("src", nat.Src.ToString());
            w.WriteNumber("sport", nat.SrcPort);
            w.WriteString("dst", nat.Dst.ToString());
            w.WriteNumber("dport", nat.DstPort);
            if (nat.IcmpId is ushort id) w.WriteNumber("id", id);
            w.WriteEndObject();
        }
        else w.WriteNull("nat");
    }

    /// <summary>What <c>block return</c> sends, in the contract's words (<c>tcp-rst</c>, <c>icmp unreach port</c>), or null.</summary>
    public static string? Return(in Verdict v) => v.Return switch
    {
        ReturnKind.TcpRst => "tcp-rst",
        ReturnKind.SynAck => "syn-ack",
        ReturnKind.ProxySyn => "syn",
        ReturnKind.ProxyAcks => "ack",
        ReturnKind.Icmp => $"icmp {IcmpNames.TypeName(v.ReturnType, false)} {CodeWord(v.ReturnType, v.ReturnCode, false)}",
        ReturnKind.Icmp6 => $"icmp6 {IcmpNames.TypeName(v.ReturnType, true)} {CodeWord(v.ReturnType, v.ReturnCode, true)}",
        _ => null,
    };

    // The contract says "icmp unreach port", not pf.conf's "port-unr".
    private static string CodeWord(byte type, byte code, bool v6) => IcmpNames.CodeName(type, code, v6).Replace("-unr", "");
}
