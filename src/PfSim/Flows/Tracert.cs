using System.Text;

namespace PfSim.Flows;

/// <summary>
/// Windows <c>tracert</c>: ICMP echo requests with TTL 1, 2, 3 …, three per hop, one at a time, 64 zero
/// data bytes (92-byte packets), identifier 1, each waiting up to 4 s ("*", and "Request timed out." when
/// the whole hop is silent); 30 hops max; stops at the target's echo reply.
/// </summary>
public sealed class WindowsTracert : ToolModel
{
    private const double Timeout = 4.0;
    private readonly int _maxHops;
    private bool _reached;

    public WindowsTracert(Node host, Address target, ToolOptions options) : base(host, target, options) => _maxHops = options.MaxHops ?? 30;

    public override string CommandLine => $"tracert -d {Target}";
    private int Queries => Options.Queries ?? 3;

    protected override void Begin(double now) => SendOne(0);

    private void SendOne(int index)
    {
        int hop = index / Queries + 1;
        if (hop > _maxHops || (_reached && index % Queries == 0)) { Sim.Detach(Host); return; }
        var icmp = Wire.IcmpEchoMessage(Wire.IcmpEcho, 1, (ushort)(index + 1), new byte[64]);
        var pkt = Wire.Ipv4(new Wire.Ip4(Host.Route(Target)?.Out.Address ?? Host.PrimaryAddress, Target, Wire.ProtoIcmp, (byte)hop, Sim.NextIpId(Host)), icmp);
        SendProbe(pkt, Sim.Now, "echo request", hop, index);
        Sim.Schedule(Sim.Now + Timeout, () =>
        {
            if (!Probes[index].Answered) SendOne(index + 1);
        });
    }

    public override bool Receive(ReadOnlySpan<byte> packet, int packetNumber, double time)
    {
        var ip = new Ip4View(packet);
        if (!TryEchoAnswer(ip, 1, out ushort seq, out var kind)) return false;
        Probe? p = Find(seq);
        if (p is null) return false;
        if (p.Answered || time > p.SentAt + Timeout) return true;
        Answer(p, kind, ip.IcmpCode, ip, packetNumber, time);
        if (kind == AnswerKind.EchoReply && p.From == Target) _reached = true;
        int next = p.Index + 1;
        Sim.Schedule(time, () => SendOne(next));
        return true;
    }

    private Probe? Find(ushort seq) => ProbeAt(seq - 1);

    private int LastHop => Probes.Count == 0 ? 0 : Probes.Max(p => p.Ttl);
    public override bool Reached => _reached;

    public override IReadOnlyList<string> Hops
    {
        get
        {
            var hops = new List<string>();
            for (int h = 1; h <= LastHop; h++)
            {
                var first = Probes.Where(p => p.Ttl == h && p.Answered).OrderBy(p => p.Index).FirstOrDefault();
                hops.Add(first is null ? "*" : first.From.ToString());
            }
            return hops;
        }
    }

    public override IReadOnlyList<string> Render()
    {
        var lines = new List<string> { "", $"Tracing route to {Target} over a maximum of {_maxHops} hops", "" };
        for (int h = 1; h <= LastHop; h++)
        {
            var ps = Probes.Where(p => p.Ttl == h).OrderBy(p => p.Index).ToList();
            var sb = new StringBuilder($"{h,3}");
            foreach (var p in ps)
                sb.Append(p.Answered ? $"{(p.RttMs < 1 ? "<1" : ((int)Math.Round(p.RttMs)).ToString()),6} ms" : "     *   ");
            var answered = ps.FirstOrDefault(p => p.Answered);
            sb.Append(answered is null ? "  Request timed out." : $"  {answered.From}");
            lines.Add(sb.ToString());
        }
        lines.Add("");
        lines.Add("Trace complete.");
        return lines;
    }
}
