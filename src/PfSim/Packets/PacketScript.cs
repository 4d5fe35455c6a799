using System.Globalization;

namespace PfSim.Packets;

/// <summary>One packet of a packet script: when, where, which way, and the packet itself.</summary>
public sealed record ScriptPacket(int Line, double Time, string Interface, Direction Direction, PacketSpec Spec, byte[] Bytes, string Text)
{
    /// <summary>The verdict the script expects (a trailing <c># expect pass rule 1 state new</c> comment), or null.</summary>
    public ScriptExpectation? Expect { get; init; }
}

/// <summary>
/// What a script line expects: <c># expect pass|block [rule N|default] [state new|match|none] [reason NAME]</c>.
/// Lets a packet script double as a test (<c>pfsim eval --check</c>).
/// </summary>
public sealed record ScriptExpectation(string Action, int? Rule, bool RuleGiven, string? State, string? Reason)
{
    public static ScriptExpectation? TryParse(string comment, string file, int line)
    {
        var t = comment.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (t.Length == 0 || t[0] != "expect") return null;
        if (t.Length < 2 || t[1] is not ("pass" or "block")) throw new PacketScriptException(file, line, "expect wants 'pass' or 'block'");
        int? rule = null; bool ruleGiven = false; string? state = null, reason = null;
        for (int i = 2; i < t.Length; i++)
        {
            string Arg() => i + 1 < t.Length ? t[++i] : throw new PacketScriptException(file, line, $"'{t[i]}' wants a value");
            switch (t[i])
            {
                case "rule":
                    var r = Arg();
                    ruleGiven = true;
                    if (r == "default") rule = null;
                    else if (int.TryParse(r.TrimStart('@'), out var n)) rule = n;
                    else throw new PacketScriptException(file, line, $"bad rule number '{r}'");
                    break;
                case "state": state = Arg(); if (state is not ("new" or "match" or "none")) throw new PacketScriptException(file, line, $"state is new, match or none, not '{state}'"); break;
                case "reason": reason = Arg(); break;
                default: throw new PacketScriptException(file, line, $"unknown expectation '{t[i]}'");
            }
        }
        return new ScriptExpectation(t[1], rule, ruleGiven, state, reason);
    }

    /// <summary>The differences between this expectation and what happened, or null when it holds.</summary>
    public string? Check(string action, int? rule, string state, string reason)
    {
        var diffs = new List<string>();
        if (Action != action) diffs.Add($"expected {Action}, got {action}");
        if (RuleGiven && Rule != rule) diffs.Add($"expected rule {(Rule is int r ? r.ToString() : "default")}, got {(rule is int g ? g.ToString() : "default")}");
        if (State is not null && State != state) diffs.Add($"expected state {State}, got {state}");
        if (Reason is not null && Reason != reason) diffs.Add($"expected reason {Reason}, got {reason}");
        return diffs.Count == 0 ? null : string.Join(", ", diffs);
    }
}

/// <summary>An error in a packet script, with its position.</summary>
public sealed class PacketScriptException(string file, int line, string message) : Exception($"{file}:{line}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
}

/// <summary>
/// Reads packet scripts (docs/cli.md): one packet a line, written like a pf rule. TCP sequence and acknowledgement
/// numbers left out are filled in as the two endpoints would send them, so a handshake reads naturally.
/// </summary>
public sealed class PacketScript
{
    private readonly Dictionary<(Address, ushort, Address, ushort), uint> _nextSeq = new();

    public static List<ScriptPacket> Parse(string text, string file = "-")
    {
        var script = new PacketScript();
        var result = new List<ScriptPacket>();
        double time = 0;
        bool first = true;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            int hash = line.IndexOf('#');
            string? comment = null;
            if (hash >= 0) { comment = line[(hash + 1)..]; line = line[..hash]; }
            if (string.IsNullOrWhiteSpace(line)) continue;
            var tokens = Tokenize(line);
            int pos = 0;
            double? at = null;
            if (tokens[0].StartsWith('@'))
            {
                if (!double.TryParse(tokens[0][1..], NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || t < 0)
                    throw new PacketScriptException(file, i + 1, $"bad time '{tokens[0]}'");
                at = t;
                pos++;
            }
            time = at ?? (first ? 0 : time + 0.001);
            first = false;
            var dirTok = Next(tokens, ref pos, file, i + 1, "in or out");
            var dir = dirTok switch
            {
                "in" => Direction.In,
                "out" => Direction.Out,
                _ => throw new PacketScriptException(file, i + 1, $"expected 'in' or 'out', got '{dirTok}'"),
            };
            Expect(tokens, ref pos, "on", file, i + 1);
            var ifname = Next(tokens, ref pos, file, i + 1, "an interface name");
            var spec = script.ParsePacket(tokens, ref pos, file, i + 1, topLevel: true);
            if (pos < tokens.Count) throw new PacketScriptException(file, i + 1, $"unexpected '{tokens[pos]}'");
            byte[] bytes = PacketBuilder.Build(spec);
            var expect = comment is null ? null : ScriptExpectation.TryParse(comment, file, i + 1);
            result.Add(new ScriptPacket(i + 1, time, ifname, dir, spec, bytes, (hash >= 0 ? lines[i][..hash] : lines[i]).Trim()) { Expect = expect });
        }
        return result;
    }

    private static List<string> Tokenize(string line)
    {
        var list = new List<string>();
        int i = 0;
        while (i < line.Length)
        {
            char c = line[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '(' or ')') { list.Add(c.ToString()); i++; continue; }
            int j = i;
            while (j < line.Length && !char.IsWhiteSpace(line[j]) && line[j] is not ('(' or ')')) j++;
            list.Add(line[i..j]);
            i = j;
        }
        return list;
    }

    private static string Next(List<string> t, ref int pos, string file, int line, string what)
    {
        if (pos >= t.Count) throw new PacketScriptException(file, line, $"expected {what} at the end of the line");
        return t[pos++];
    }

    private static void Expect(List<string> t, ref int pos, string word, string file, int line)
    {
        var got = Next(t, ref pos, file, line, $"'{word}'");
        if (got != word) throw new PacketScriptException(file, line, $"expected '{word}', got '{got}'");
    }

    private static T Number<T>(List<string> t, ref int pos, string file, int line, string what) where T : IParsable<T>
    {
        var s = Next(t, ref pos, file, line, what);
        if (!T.TryParse(s, CultureInfo.InvariantCulture, out var v)) throw new PacketScriptException(file, line, $"bad {what} '{s}'");
        return v;
    }

    private PacketSpec ParsePacket(List<string> t, ref int pos, string file, int line, bool topLevel)
    {
        Af af = Af.Any;
        if (pos < t.Count && t[pos] is "inet" or "inet6") af = t[pos++] == "inet" ? Af.Inet : Af.Inet6;
        Expect(t, ref pos, "proto", file, line);
        var protoText = Next(t, ref pos, file, line, "a protocol");
        byte proto = protoText switch
        {
            "tcp" => IpProto.Tcp, "udp" => IpProto.Udp, "icmp" => IpProto.Icmp, "icmp6" or "ipv6-icmp" => IpProto.Icmp6,
            "esp" => IpProto.Esp, "ah" => IpProto.Ah, "gre" => 47, "ospf" => 89, "carp" => 112, "pfsync" => 240,
            _ => byte.TryParse(protoText, out var n) ? n : throw new PacketScriptException(file, line, $"unknown protocol '{protoText}'"),
        };
        Expect(t, ref pos, "from", file, line);
        var src = ParseAddress(t, ref pos, file, line);
        ushort sport = 0, dport = 0;
        if (pos < t.Count && t[pos] == "port") { pos++; sport = Number<ushort>(t, ref pos, file, line, "port"); }
        Expect(t, ref pos, "to", file, line);
        var dst = ParseAddress(t, ref pos, file, line);
        if (pos < t.Count && t[pos] == "port") { pos++; dport = Number<ushort>(t, ref pos, file, line, "port"); }
        if (src.Family != dst.Family) throw new PacketScriptException(file, line, "source and destination are of different address families");
        if (af != Af.Any && af != src.Family) throw new PacketScriptException(file, line, $"addresses are not {(af == Af.Inet ? "inet" : "inet6")}");
        if (proto == IpProto.Icmp && src.IsV6) proto = IpProto.Icmp6;

        var spec = new PacketSpec { Src = src, Dst = dst, Proto = proto, SrcPort = sport, DstPort = dport };
        TcpFlags flags = TcpFlags.None;
        bool flagsGiven = false;
        uint? seq = null, ack = null;
        while (pos < t.Count && t[pos] != ")")
        {
            var word = t[pos++];
            switch (word)
            {
                case "flags":
                    flags = ParseFlags(Next(t, ref pos, file, line, "TCP flags"), file, line);
                    flagsGiven = true;
                    break;
                case "seq": seq = Number<uint>(t, ref pos, file, line, "sequence number"); break;
                case "ack": ack = Number<uint>(t, ref pos, file, line, "acknowledgement number"); break;
                case "win": spec = spec with { Win = Number<ushort>(t, ref pos, file, line, "window") }; break;
                case "wscale": spec = spec with { WindowScale = Number<sbyte>(t, ref pos, file, line, "window scale") }; break;
                case "icmp-type":
                case "icmp6-type":
                {
                    bool v6 = src.IsV6;
                    var tt = Next(t, ref pos, file, line, "an ICMP type");
                    if (!IcmpNames.TryType(tt, v6, out var type)) throw new PacketScriptException(file, line, $"unknown ICMP type '{tt}'");
                    byte code = 0;
                    if (pos < t.Count && t[pos] == "code")
                    {
                        pos++;
                        var ct = Next(t, ref pos, file, line, "an ICMP code");
                        if (!IcmpNames.TryCode(ct, v6, type, out code)) throw new PacketScriptException(file, line, $"unknown ICMP code '{ct}'");
                    }
                    spec = spec with { IcmpType = type, IcmpCode = code };
                    break;
                }
                case "id": spec = spec with { IcmpId = Number<ushort>(t, ref pos, file, line, "ICMP id") }; break;
                case "icmp-seq": spec = spec with { IcmpSeq = Number<ushort>(t, ref pos, file, line, "ICMP sequence") }; break;
                case "ttl": spec = spec with { Ttl = Number<byte>(t, ref pos, file, line, "TTL") }; break;
                case "tos": spec = spec with { Tos = Number<byte>(t, ref pos, file, line, "TOS") }; break;
                case "len": spec = spec with { PayloadLength = Number<ushort>(t, ref pos, file, line, "length") }; break;
                case "frag": spec = spec with { FragmentOffset = 1480, MoreFragments = false }; break;
                case "ip-options": spec = spec with { IpOptions = true }; break;
                case "quoting":
                {
                    Expect(t, ref pos, "(", file, line);
                    var inner = ParsePacket(t, ref pos, file, line, topLevel: false);
                    Expect(t, ref pos, ")", file, line);
                    spec = spec with { Quoted = inner, QuoteBytes = src.IsV6 ? -1 : 8 };
                    break;
                }
                default:
                    throw new PacketScriptException(file, line, $"unknown keyword '{word}'");
            }
        }
        if (proto == IpProto.Tcp)
        {
            if (!flagsGiven) flags = TcpFlags.Ack;
            var fwd = (src, sport, dst, dport);
            var rev = (dst, dport, src, sport);
            uint s = seq ?? (_nextSeq.TryGetValue(fwd, out var n) ? n : InitialSequence(src, sport, dst, dport));
            uint a = ack ?? ((flags & TcpFlags.Ack) != 0 && _nextSeq.TryGetValue(rev, out var r) ? r : 0);
            spec = spec with { Flags = flags, Seq = s, Ack = a };
            // Only packets that really go out advance the endpoint; quoted segments are copies.
            if (topLevel)
                _nextSeq[fwd] = s + (uint)spec.PayloadLength + ((flags & TcpFlags.Syn) != 0 ? 1u : 0) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0);
        }
        else if (flagsGiven || seq is not null || ack is not null)
            throw new PacketScriptException(file, line, "flags, seq and ack apply to tcp only");
        return spec;
    }

    /// <summary>A deterministic initial sequence number per endpoint pair, so scripts repeat.</summary>
    private static uint InitialSequence(in Address src, ushort sport, in Address dst, ushort dport) =>
        (uint)(src.Lo * 2654435761UL ^ dst.Lo * 40503UL ^ (ulong)sport << 16 ^ dport) | 0x1000;

    private static Address ParseAddress(List<string> t, ref int pos, string file, int line)
    {
        var s = Next(t, ref pos, file, line, "an address");
        if (!Address.TryParse(s, out var a)) throw new PacketScriptException(file, line, $"not an IP address: '{s}'");
        return a;
    }

    private static TcpFlags ParseFlags(string s, string file, int line)
    {
        TcpFlags f = TcpFlags.None;
        foreach (char c in s)
        {
            f |= c switch
            {
                'F' => TcpFlags.Fin, 'S' => TcpFlags.Syn, 'R' => TcpFlags.Rst, 'P' => TcpFlags.Push,
                'A' => TcpFlags.Ack, 'U' => TcpFlags.Urg, 'E' => TcpFlags.Ece, 'W' => TcpFlags.Cwr,
                _ => throw new PacketScriptException(file, line, $"unknown TCP flag '{c}' in '{s}'"),
            };
        }
        return f;
    }
}
