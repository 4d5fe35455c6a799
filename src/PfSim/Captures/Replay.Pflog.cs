using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Captures;

// --write-pflog: the record pflog_packet() would write for a logged verdict (pf-semantics.md §6.4).
public sealed partial class Replayer
{
    private Bytes16[] _ifNames = new Bytes16[8];
    private bool[] _ifNameSet = new bool[8];
    private readonly Dictionary<Ruleset, Bytes16> _anchorNames = new(ReferenceEqualityComparer.Instance);

    private void WritePflog(in ReplayedPacket p)
    {
        var w = _opt.PflogOut!;
        ref readonly var v = ref p.Verdict;
        var h = new PflogHeader
        {
            Action = (byte)(v.Action == RuleAction.Pass ? RuleAction.Pass : RuleAction.Block),
            Reason = (byte)v.Reason,
            IfName = InterfaceName(p.InterfaceId),
            Dir = p.Dir,
            Uid = PflogHeader.NoUid,
            Pid = PflogHeader.NoPid,
        };
        if (v.Rule is null)
        {
            h.RuleNumber = PflogHeader.NoRule;
            h.SubruleNumber = PflogHeader.NoRule;
        }
        else if (v.AnchorRule is not null && v.Ruleset is not null)
        {
            // Inside an anchor: rulenr is the anchor rule's, subrulenr the rule's own, ruleset the anchor's name.
            h.RuleNumber = (uint)v.AnchorRule.Number;
            h.SubruleNumber = (uint)v.Rule.Number;
            h.Ruleset = AnchorName(v.Ruleset);
        }
        else
        {
            h.RuleNumber = (uint)v.Rule.Number;
            h.SubruleNumber = PflogHeader.NoRule;
        }
        FillAddresses(ref h, p.Ip, v);
        w.Write(p.TimestampNs, h, p.Ip);
    }

    // OpenBSD's header carries the addresses after translation, whether or not anything was rewritten.
    private static void FillAddresses(ref PflogHeader h, ReadOnlySpan<byte> ip, in Verdict v)
    {
        if (PacketDecoder.Decode(ip, out var ph) == DecodeStatus.Ok || ph.Af != Af.Any)
        {
            byte af = ph.Af == Af.Inet6 ? (byte)24 : (byte)2;
            h.AddressFamily = 0;  // the writer sets it from the packet, in the layout's numbering
            h.NewAddressFamily = af;
            var src = ph.Src; var dst = ph.Dst;
            ushort sport = ph.HasPorts ? ph.SrcPort : (ushort)0, dport = ph.HasPorts ? ph.DstPort : (ushort)0;
            if (v.Nat is NatResult n)
            {
                h.Rewritten = (byte)(n.Src != src || n.Dst != dst || n.SrcPort != sport || n.DstPort != dport ? 1 : 0);
                src = n.Src; dst = n.Dst; sport = n.SrcPort; dport = n.DstPort;
                h.NewAddressFamily = src.IsV6 ? (byte)24 : (byte)2;
            }
            if (src.IsValid) src.WriteTo(h.SourceAddress);
            if (dst.IsValid) dst.WriteTo(h.DestinationAddress);
            h.SourcePort = sport;
            h.DestinationPort = dport;
        }
    }

    private Bytes16 InterfaceName(int id)
    {
        if (id >= _ifNames.Length)
        {
            Array.Resize(ref _ifNames, Math.Max(id + 1, _ifNames.Length * 2));
            Array.Resize(ref _ifNameSet, _ifNames.Length);
        }
        if (!_ifNameSet[id])
        {
            _ifNames[id] = Bytes16.FromText(_fw.GetInterface(id).Name);
            _ifNameSet[id] = true;
        }
        return _ifNames[id];
    }

    private Bytes16 AnchorName(Ruleset rs)
    {
        if (!_anchorNames.TryGetValue(rs, out var b)) _anchorNames[rs] = b = Bytes16.FromText(rs.Name);
        return b;
    }
}
