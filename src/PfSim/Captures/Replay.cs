using System.Buffers.Binary;
using PfSim.Engine;
using PfSim.Explain;
using PfSim.Rules;

namespace PfSim.Captures;

/// <summary>How a capture's packets are presented to pf: on which interface and in which direction.</summary>
public sealed record ReplayOptions
{
    /// <summary><c>--if</c>: the interface of every packet (overrides pflog's and pcapng's names).</summary>
    public string? Interface { get; init; }
    /// <summary>The interface used when neither <see cref="Interface"/> nor the capture names one.</summary>
    public string DefaultInterface { get; init; } = "em0";
    /// <summary><c>--dir</c>: the direction of every packet (overrides pflog's).</summary>
    public Direction? Dir { get; init; }
    /// <summary><c>--local</c>: the firewall's own networks: packets from them go out, packets to them come in.</summary>
    public IReadOnlyList<(Address Address, int Prefix)> Local { get; init; } = [];
    /// <summary>Skip damaged records where the format allows, instead of stopping.</summary>
    public bool KeepGoing { get; init; }
    /// <summary>Also say why, in plain words, for every packet (slower: traces the rule evaluation).</summary>
    public bool Explain { get; init; }
    /// <summary>Where to write what pf would have logged, or null.</summary>
    public PflogWriter? PflogOut { get; init; }
}

/// <summary>One packet as replayed: where it came from, how pf saw it, and the verdict. Valid during the callback only.</summary>
public ref struct ReplayedPacket
{
    public string File;
    /// <summary>1-based record number in its file.</summary>
    public long Index;
    public long Offset;
    public long TimestampNs;
    /// <summary>Seconds since the first packet of the replay (the engine's clock).</summary>
    public double Time;
    public ReadOnlySpan<byte> Ip;
    /// <summary>Length on the wire of the IP packet (more than <see cref="Ip"/> holds when the snaplen cut it).</summary>
    public int IpLength;
    public int InterfaceId;
    public string Interface;
    public Direction Dir;
    /// <summary>The direction was not given by pflog, <c>--dir</c>, <c>--local</c> or the link layer: taken as in.</summary>
    public bool DirGuessed;
    public bool HasLogged;
    /// <summary>The pflog header the capture holds (when <see cref="HasLogged"/>).</summary>
    public ref readonly PflogHeader Logged;
    /// <summary>PfSim's verdict (by reference: a verdict is about 170 bytes, and this record is built per packet).</summary>
    public ref readonly Verdict Verdict;
    public string? Explanation;
    /// <summary>
    /// A pflog record of the packet the previous record logged (pf writes one per logging rule: <c>log</c> on a match
    /// rule and on the deciding rule, <c>log (matches)</c>): pf saw the packet once, so it is not evaluated again.
    /// </summary>
    public bool SameAsPrevious;
}

/// <summary>Receives each replayed packet (the CLI prints it; tests and benchmarks count).</summary>
public interface IReplayObserver
{
    void OnPacket(in ReplayedPacket packet);
}

/// <summary>
/// Replays captures through a <see cref="Firewall"/>: each IP packet, on its interface and in its direction, at its
/// capture time; state carries from packet to packet and from file to file. Allocates nothing per packet
/// (unless explaining); what pf would log goes to <see cref="ReplayOptions.PflogOut"/>.
/// </summary>
public sealed partial class Replayer
{
    private readonly Firewall _fw;
    private readonly ReplayOptions _opt;
    private readonly IReplayObserver? _observer;
    private readonly int _fixedIf = -1;
    private readonly int _defaultIf;
    private readonly (uint Net, uint Mask)[] _localV4;
    // The options the packet path reads, copied out of the options record once.
    private readonly Direction? _forcedDir;
    private readonly bool _hasLocal;
    private readonly bool _explain;
    private long _firstNs = long.MinValue;
    private double _lastTime;
    private readonly List<CaptureError> _errors = [];
    // pflog and pcapng interface names → engine ids, resolved once each.
    private (Bytes16 Name, int Id)[] _pflogIfs = new (Bytes16, int)[8];
    private int _pflogIfCount;
    private readonly Dictionary<int, int> _captureIfs = [];
    // The previous pflog record's packet and verdict, to recognise the same packet logged by several rules.
    private byte[] _prevIp = new byte[2048];
    private int _prevLen = -1;
    private long _prevNs;
    private int _prevIf;
    private Direction _prevDir;
    private Verdict _prevVerdict;

    public Replayer(Firewall firewall, ReplayOptions? options = null, IReplayObserver? observer = null)
    {
        _fw = firewall;
        _opt = options ?? new ReplayOptions();
        _observer = observer;
        if (_opt.Interface is not null) _fixedIf = _fw.InterfaceId(_opt.Interface);
        _localV4 = [.. _opt.Local.Where(l => l.Address.Family == Af.Inet).Select(l => LocalV4(l.Address, l.Prefix))];
        _defaultIf = _fw.InterfaceId(_opt.DefaultInterface);
        _forcedDir = _opt.Dir;
        _hasLocal = _opt.Local.Count > 0;
        _explain = _opt.Explain;
    }

    public Firewall Firewall => _fw;
    public ReplayStats Stats { get; } = new();
    /// <summary>Every damage met: records skipped under keep-going, and the one that stopped a file.</summary>
    public IReadOnlyList<CaptureError> Errors => _errors;
    /// <summary>Packets replayed on <see cref="ReplayOptions.DefaultInterface"/> because nothing named theirs.</summary>
    public long DefaultInterfaceUses { get; private set; }
    /// <summary>Called now and then (every 16384 records) with the reader's byte position, for a progress bar.</summary>
    public Action<long>? Progress { get; set; }
    /// <summary>Stops the replay at the next check (every 16384 records), keeping what was replayed: Ctrl-C in the CLI.</summary>
    public CancellationToken Stop { get; set; }
    /// <summary><see cref="Stop"/> ended a replay before the end of its capture.</summary>
    public bool Interrupted { get; private set; }

    /// <summary>Replays every record of <paramref name="reader"/>. False when damage stopped it (see <see cref="Errors"/>); the packets before were all replayed.</summary>
    public bool Run(CaptureReader reader)
    {
        reader.OnError = _errors.Add;
        try
        {
            while (reader.TryRead(out var p))
            {
                Process(p, reader.Name, reader);
                if ((p.Index & 0x3FFF) == 0)
                {
                    Progress?.Invoke(reader.BytePosition);
                    if (Stop.IsCancellationRequested) { Interrupted = true; break; }
                }
            }
            return true;
        }
        catch (CaptureFormatException e)
        {
            _errors.Add(e.Error);
            return false;
        }
    }

    /// <summary>Replays packets from a live interface until <paramref name="cancel"/> fires.</summary>
    public void Run(LiveCapture live, CancellationToken cancel)
    {
        while (live.TryRead(out var p, cancel)) Process(p, live.Name, null);
    }

    // Compiled on its own rather than inside Run's loop (which the JIT compiles on-stack-replaced, with the whole
    // packet path inlined and spilled).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void Process(in CapturedPacket p, string file, CaptureReader? reader)
    {
        Stats.Records++;
        var status = p.Decode(out var frame);
        if (status != FrameStatus.Ip)
        {
            NotIp(status, p, file, reader);
            return;
        }
        if (_firstNs == long.MinValue) _firstNs = p.TimestampNs;
        // A simple packet block has no time: it happens when the previous packet did.
        double time = p.HasTimestamp ? (p.TimestampNs - _firstNs) / 1e9 : _lastTime;
        if (time < _lastTime) time = _lastTime;  // pf's clock never runs backwards
        _lastTime = time;

        // Field by field into one local: an object initializer builds a temporary and copies it over.
        scoped ReplayedPacket r = default;
        r.File = file;
        r.Index = p.Index;
        r.Offset = p.Offset;
        r.TimestampNs = p.TimestampNs;
        r.Time = time;
        r.Ip = frame.Ip;
        r.IpLength = IpLength(frame.Ip, p.OriginalLength - frame.IpOffset);
        r.HasLogged = frame.HasPflog;
        r.Logged = ref frame.Pflog;
        r.InterfaceId = ResolveInterface(frame, p.InterfaceId, reader);
        r.Interface = _fw.GetInterface(r.InterfaceId).Name;
        r.Dir = ResolveDirection(frame, out r.DirGuessed);

        Verdict verdict;
        if (!frame.HasPflog && !_explain) _fw.Test(frame.Ip, r.InterfaceId, r.Dir, time, out verdict);
        else DecideLoggedOrExplained(frame.Ip, frame.HasPflog, ref r, out verdict);
        r.Verdict = ref verdict;

        Stats.Count(r);
        if (verdict.Log && !r.SameAsPrevious && _opt.PflogOut is not null) WritePflog(r);
        _observer?.OnPacket(r);
    }

    // Kept out of Process, whose frame would otherwise grow by their temporaries (zeroed for every packet).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void NotIp(FrameStatus status, in CapturedPacket p, string file, CaptureReader? reader)
    {
        Stats.CountSkipped(status);
        if (status == FrameStatus.BadPflog && reader is not null)
        {
            var e = new CaptureError(file, p.Index, p.Offset, "pflog header length below 45 or beyond the record");
            if (!_opt.KeepGoing) throw new CaptureFormatException(e);
            _errors.Add(e);
        }
    }

    /// <summary>The verdict for a pflog record (which may repeat the previous record's packet) or with --explain.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void DecideLoggedOrExplained(ReadOnlySpan<byte> ip, bool pflog, scoped ref ReplayedPacket r, out Verdict verdict)
    {
        if (pflog && IsSameAsPrevious(ip, r.TimestampNs, r.InterfaceId, r.Dir))
        {
            r.SameAsPrevious = true;
            verdict = _prevVerdict;
        }
        else if (_explain)
        {
            (verdict, r.Explanation) = Explainer.TestAndExplain(_fw, ip, r.InterfaceId, r.Dir, r.Time);
        }
        else _fw.Test(ip, r.InterfaceId, r.Dir, r.Time, out verdict);
        if (pflog) Remember(ip, r.TimestampNs, r.InterfaceId, r.Dir, verdict);
    }

    // pf taps each log record separately, so the copies' times differ by microseconds at most.
    private bool IsSameAsPrevious(ReadOnlySpan<byte> ip, long ns, int ifId, Direction dir) =>
        _prevLen == ip.Length && ifId == _prevIf && dir == _prevDir && ns - _prevNs is >= 0 and <= 1_000_000
        && ip.SequenceEqual(_prevIp.AsSpan(0, _prevLen));

    private void Remember(ReadOnlySpan<byte> ip, long ns, int ifId, Direction dir, in Verdict v)
    {
        if (ip.Length > _prevIp.Length) _prevIp = new byte[Math.Max(ip.Length, _prevIp.Length * 2)];
        ip.CopyTo(_prevIp);
        _prevLen = ip.Length;
        _prevNs = ns;
        _prevIf = ifId;
        _prevDir = dir;
        _prevVerdict = v;
    }

    // The IP packet's length as sent: its own header says, unless the capture cut even that.
    private static int IpLength(ReadOnlySpan<byte> ip, int wireFromIp)
    {
        if (ip.Length >= 4 && ip[0] >> 4 == 4) return BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ip.Length >= 6 && ip[0] >> 4 == 6) return 40 + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        return Math.Max(ip.Length, wireFromIp);
    }

    private int ResolveInterface(in Frame frame, int captureIf, CaptureReader? reader)
    {
        if (_fixedIf >= 0) return _fixedIf;
        if (frame.HasPflog && frame.Pflog.IfName[0] != 0) return PflogInterface(frame.Pflog.IfName);
        if (reader is not null && reader.Format == CaptureFormat.PcapNg)
        {
            if (_captureIfs.TryGetValue(captureIf, out int id)) return id;
            var name = reader.InterfaceName(captureIf);
            if (name is null) { DefaultInterfaceUses++; return _defaultIf; }
            id = _fw.InterfaceId(name);
            _captureIfs[captureIf] = id;
            return id;
        }
        DefaultInterfaceUses++;
        return _defaultIf;
    }

    private int PflogInterface(in Bytes16 name)
    {
        ReadOnlySpan<byte> n = name;
        for (int i = 0; i < _pflogIfCount; i++)
            if (n.SequenceEqual(_pflogIfs[i].Name)) return _pflogIfs[i].Id;
        if (_pflogIfCount == _pflogIfs.Length) Array.Resize(ref _pflogIfs, _pflogIfs.Length * 2);
        int id = _fw.InterfaceId(name.ToText());
        _pflogIfs[_pflogIfCount++] = (name, id);
        return id;
    }

    private Direction ResolveDirection(in Frame frame, out bool guessed)
    {
        guessed = false;
        if (_forcedDir is Direction forced) return forced;
        if (frame.HasPflog && frame.Pflog.Dir is Direction.In or Direction.Out) return frame.Pflog.Dir;
        if (_hasLocal)
        {
            var ip = frame.Ip;
            if (frame.IpVersion == 4 && ip.Length >= 20)
            {
                // IPv4: the networks as (value, mask) pairs, so no Address is built per packet.
                uint src = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]), dst = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
                if (IsLocalV4(src)) return Direction.Out;
                if (IsLocalV4(dst)) return Direction.In;
            }
            else if (frame.IpVersion == 6 && ip.Length >= 40)
            {
                if (IsLocal(Address.FromBytes(ip.Slice(8, 16)))) return Direction.Out;
                if (IsLocal(Address.FromBytes(ip.Slice(24, 16)))) return Direction.In;
            }
            // Neither end is the firewall: a forwarded packet, seen first as it comes in.
            return Direction.In;
        }
        if (frame.LinkDirection is Direction.In or Direction.Out) return frame.LinkDirection;
        guessed = true;
        return Direction.In;
    }

    private static (uint Net, uint Mask) LocalV4(Address a, int prefix)
    {
        uint mask = prefix <= 0 ? 0u : prefix >= 32 ? uint.MaxValue : uint.MaxValue << (32 - prefix);
        return (a.V4Value & mask, mask);
    }

    private bool IsLocalV4(uint a)
    {
        var nets = _localV4;
        for (int i = 0; i < nets.Length; i++)
            if ((a & nets[i].Mask) == nets[i].Net) return true;
        return false;
    }

    private bool IsLocal(in Address a)
    {
        var locals = _opt.Local;
        for (int i = 0; i < locals.Count; i++)
            if (locals[i].Address.Family == a.Family && a.InNetwork(locals[i].Address, locals[i].Prefix)) return true;
        return false;
    }

    /// <summary>
    /// The interface to replay on when the user named none and the capture has none: the one interface the ruleset's
    /// rules name, or null when they name several (then the user must say).
    /// </summary>
    public static string? GuessInterface(PfConfig config, out IReadOnlyList<string> named)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        Collect(config.Main, names, 0);
        named = [.. names];
        return names.Count switch { 0 => "em0", 1 => names.Min, _ => null };
    }

    private static void Collect(Ruleset rs, SortedSet<string> names, int depth)
    {
        if (depth > 32) return;
        foreach (var r in rs.AllRules)
            if (r.Interface is { Length: > 0 } n && n != "any" && !n.StartsWith("!", StringComparison.Ordinal)) names.Add(n);
        foreach (var child in rs.Anchors.Values) Collect(child, names, depth + 1);
    }
}
