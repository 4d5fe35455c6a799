using System.Globalization;

namespace PfSim.Flows;

/// <summary>The tools a lab can run (names as <c>pfsim lab --tool</c> takes them).</summary>
public enum ToolKind : byte
{
    Ping,
    /// <summary>Windows tracert: ICMP echo with rising TTL.</summary>
    Tracert,
    /// <summary>Unix traceroute: UDP to 33434 and up.</summary>
    Traceroute,
    /// <summary><c>traceroute -I</c>: ICMP echo.</summary>
    TracerouteIcmp,
    /// <summary><c>traceroute -T</c>: TCP SYN (Linux), <c>-P tcp</c> on the BSDs.</summary>
    TracerouteTcp,
}

/// <summary>How a probe was answered.</summary>
public enum AnswerKind : byte
{
    None,
    EchoReply,
    TimeExceeded,
    Unreachable,
    TcpReset,
    TcpSynAck,
}

/// <summary>One request a tool sent and what came back for it.</summary>
public sealed class Probe
{
    public int Index { get; init; }
    public int Ttl { get; init; }
    public double SentAt { get; init; }
    public int Packet { get; init; }
    public AnswerKind Answer { get; set; }
    public byte Code { get; set; }
    public Address From { get; set; }
    public double ReceivedAt { get; set; }
    public int ReplyPacket { get; set; }
    public int ReplyTtl { get; set; }
    public int ReplyLength { get; set; }
    public bool Answered => Answer != AnswerKind.None;
    public double RttMs => (ReceivedAt - SentAt) * 1000.0;
}

/// <summary>Options of a tool run; null means the tool's own default.</summary>
public sealed record ToolOptions
{
    public int? Count { get; init; }
    public int? MaxHops { get; init; }
    public int? Queries { get; init; }
    public ushort? Port { get; init; }
    public double? WaitSeconds { get; init; }
}

/// <summary>A tool running on a host: it sends probes through the simulation, takes their answers and prints what the real tool prints.</summary>
public abstract class ToolModel : IHostApp
{
    protected ToolModel(Node host, Address target, ToolOptions options)
    {
        Host = host;
        Target = target;
        Options = options;
        Ident = (ushort)(StableHash.Of(host.Name, 0x5eed) % 30000 + 1000);
    }

    public Node Host { get; }
    public Address Target { get; }
    public ToolOptions Options { get; }
    public List<Probe> Probes { get; } = [];
    /// <summary>A process id stand-in: deterministic per host.</summary>
    protected ushort Ident { get; }
    protected Simulation Sim { get; private set; } = null!;

    /// <summary>
    /// Whether <paramref name="ip"/> answers one of this tool's ICMP echo requests (identifier <paramref name="ident"/>):
    /// the echo reply itself, or an ICMP error quoting the request. Gives the request's sequence number.
    /// </summary>
    private protected static bool TryEchoAnswer(in Ip4View ip, ushort ident, out ushort seq, out AnswerKind kind)
    {
        seq = 0;
        kind = default;
        if (ip.Proto != Wire.ProtoIcmp) return false;
        if (ip.IcmpType == Wire.IcmpEchoReply && ip.IcmpId == ident) { seq = ip.IcmpSeq; kind = AnswerKind.EchoReply; return true; }
        if (ip.IsIcmpError && ip.Quoted.Length >= 28 && new Ip4View(ip.Quoted) is { Proto: Wire.ProtoIcmp } q && q.IcmpId == ident)
        {
            seq = q.IcmpSeq;
            kind = ip.IcmpType == Wire.IcmpTimeExceeded ? AnswerKind.TimeExceeded : AnswerKind.Unreachable;
            return true;
        }
        return false;
    }

    /// <summary>The command as the user typed it.</summary>
    public abstract string CommandLine { get; }
    /// <summary>True when the tool got its answer from the target.</summary>
    public abstract bool Reached { get; }
    /// <summary>What the tool shows per hop (tracing tools) or per request (ping): an address or <c>*</c>.</summary>
    public abstract IReadOnlyList<string> Hops { get; }
    /// <summary>The tool's printed output, line by line.</summary>
    public abstract IReadOnlyList<string> Render();

    public void Start(Simulation sim, double t0)
    {
        Sim = sim;
        sim.Attach(Host, this);
        sim.Schedule(t0, () => Begin(t0));
    }

    protected abstract void Begin(double now);
    public abstract bool Receive(ReadOnlySpan<byte> packet, int packetNumber, double time);

    /// <summary>Records an answer on its probe (first answer only).</summary>
    private protected static void Answer(Probe p, AnswerKind kind, byte code, in Ip4View reply, int packetNumber, double time)
    {
        if (p.Answered) return;
        p.Answer = kind;
        p.Code = code;
        p.From = reply.Src;
        p.ReceivedAt = time;
        p.ReplyPacket = packetNumber;
        p.ReplyTtl = reply.Ttl;
        p.ReplyLength = reply.TotalLength;
    }

    protected int SendProbe(byte[] packet, double time, string role, int ttl, int index)
    {
        int n = Sim.Send(Host, packet, time, role);
        Probes.Add(new Probe { Index = index, Ttl = ttl, SentAt = time, Packet = n });
        return n;
    }

    /// <summary>The probe with index <paramref name="index"/> (probes are sent in index order), or null.</summary>
    protected Probe? ProbeAt(int index) => index >= 0 && index < Probes.Count && Probes[index].Index == index ? Probes[index] : null;

    protected static string Ms(double ms) => ms.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>The model of <paramref name="kind"/> as <paramref name="host"/>'s OS ships it.</summary>
    public static ToolModel Create(ToolKind kind, Node host, Address target, ToolOptions options) => kind switch
    {
        ToolKind.Ping => host.Os.Kind == OsKind.Windows ? new WindowsPing(host, target, options) : new UnixPing(host, target, options),
        ToolKind.Tracert => new WindowsTracert(host, target, options),
        ToolKind.Traceroute => new UnixTraceroute(host, target, options, TraceMethod.Udp),
        ToolKind.TracerouteIcmp => new UnixTraceroute(host, target, options, TraceMethod.Icmp),
        _ => new UnixTraceroute(host, target, options, TraceMethod.Tcp),
    };

    /// <summary>Whether <paramref name="kind"/> exists on <paramref name="os"/> (tracert is Windows only; traceroute is not on Windows).</summary>
    public static bool Available(ToolKind kind, OsKind os) => kind switch
    {
        ToolKind.Ping => true,
        ToolKind.Tracert => os == OsKind.Windows,
        _ => os != OsKind.Windows,
    };

    public static string Name(ToolKind kind) => kind switch
    {
        ToolKind.Ping => "ping",
        ToolKind.Tracert => "tracert",
        ToolKind.Traceroute => "traceroute",
        ToolKind.TracerouteIcmp => "traceroute-I",
        _ => "traceroute-T",
    };

    public static bool TryParse(string text, out ToolKind kind)
    {
        switch (text)
        {
            case "ping": kind = ToolKind.Ping; return true;
            case "tracert": kind = ToolKind.Tracert; return true;
            case "traceroute": kind = ToolKind.Traceroute; return true;
            case "traceroute-I": case "traceroute -I": kind = ToolKind.TracerouteIcmp; return true;
            case "traceroute-T": case "traceroute -T": kind = ToolKind.TracerouteTcp; return true;
            default: kind = ToolKind.Ping; return false;
        }
    }
}
