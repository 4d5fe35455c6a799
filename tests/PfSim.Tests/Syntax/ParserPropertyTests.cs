using System.Text;
using FsCheck;
using FsCheck.Fluent;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Tests.Syntax;

/// <summary>
/// Properties of the front end: what `print` writes loads back to the same rules (pfctl's selfpf, on generated
/// rulesets), and no text, however damaged, makes the loader throw: it reports errors.
/// </summary>
public class ParserPropertyTests
{
    private static int Runs => Peer.Long ? 20000 : 300;

    /// <summary>A random, valid ruleset in the dialect: macros, a table, options, and rules using most criteria.</summary>
    public static string RandomRuleset(int seed, Dialect dialect)
    {
        var rnd = new Random(seed);
        T Pick<T>(params T[] xs) => xs[rnd.Next(xs.Length)];
        bool Chance(int pct) => rnd.Next(100) < pct;
        var sb = new StringBuilder();
        sb.Append("ext_if = \"em0\"\n");
        sb.Append("nets = \"{ 10.1.0.0/16, 10.2.0.0/16 }\"\n");
        if (Chance(30)) sb.Append("set block-policy ").Append(Pick("drop", "return")).Append('\n');
        if (Chance(30)) sb.Append("set timeout tcp.established ").Append(rnd.Next(1, 100000)).Append('\n');
        if (Chance(40)) sb.Append("table <t> persist { 192.0.2.0/24, !192.0.2.7 }\n");
        int rules = rnd.Next(1, 12);
        for (int i = 0; i < rules; i++)
        {
            bool v6 = Chance(25);
            string af = Chance(50) ? (v6 ? " inet6" : " inet") : "";
            string proto = Pick("", "tcp", "udp", "icmp", "tcpudp");
            if (proto == "icmp") { proto = v6 ? "ipv6-icmp" : "icmp"; af = v6 ? " inet6" : " inet"; }
            bool ports = proto is "tcp" or "udp" or "tcpudp";
            string action = dialect == Dialect.OpenBsd ? Pick("pass", "pass", "block", "match") : Pick("pass", "pass", "block");
            var r = new StringBuilder(action);
            if (action == "block" && Chance(50)) r.Append(' ').Append(Pick("drop", "return", proto == "tcp" ? "return-rst" : "return"));
            if (Chance(70)) r.Append(' ').Append(Pick("in", "out"));
            if (Chance(30)) r.Append(Pick(" log", " log (all)"));
            if (Chance(30)) r.Append(" quick");
            if (Chance(60)) r.Append(Pick(" on $ext_if", " on em1", " on { em0 em1 }", " on ! em2"));
            r.Append(af);
            if (proto.Length > 0) r.Append(proto == "tcpudp" ? " proto { tcp udp }" : " proto " + proto);
            if (Chance(15)) r.Append(" all");
            else
            {
                if (Chance(70)) r.Append(" from ").Append(Host(rnd, v6)).Append(ports && Chance(30) ? " port " + Port(rnd) : "");
                r.Append(" to ").Append(Host(rnd, v6)).Append(ports && Chance(50) ? " port " + Port(rnd) : "");
            }
            if (proto == "tcp" && action != "block" && Chance(30)) r.Append(Pick(" flags S/SA", " flags any", " flags S/SAFR"));
            if (proto is "icmp" && Chance(60)) r.Append(" icmp-type ").Append(Pick("echoreq", "unreach code port-unr", "8 code 0", "timex"));
            if (proto is "ipv6-icmp" && Chance(60)) r.Append(" icmp6-type ").Append(Pick("echoreq", "unreach", "neighbrsol"));
            if (action == "pass" && Chance(50))
                r.Append(Pick(" keep state", " no state", proto == "tcp" ? " modulate state" : " keep state", " keep state (max 100, tcp.established 60)"));
            if (Chance(20)) r.Append(" label \"r").Append(i).Append('"');
            if (Chance(15)) r.Append(" tag T").Append(i);
            sb.Append(r).Append('\n');
        }
        return sb.ToString();
    }

    private static string Host(Random rnd, bool v6)
    {
        string one() => rnd.Next(6) switch
        {
            0 => "any",
            1 => v6 ? $"2001:db8:{rnd.Next(1, 0xffff):x}::/{rnd.Next(16, 129)}" : $"10.{rnd.Next(256)}.{rnd.Next(256)}.0/{rnd.Next(8, 33)}",
            2 => v6 ? $"2001:db8::{rnd.Next(1, 0xffff):x}" : $"192.0.2.{rnd.Next(256)}",
            3 => "<t>",
            4 => "(em0)",
            _ => v6 ? "! 2001:db8::1" : "! 10.0.0.1",
        };
        return rnd.Next(5) == 0 ? "{ " + one() + ", " + one() + " }" : one();
    }

    private static string Port(Random rnd) => rnd.Next(7) switch
    {
        0 => rnd.Next(1, 65536).ToString(),
        1 => "!= " + rnd.Next(1, 65536),
        2 => "< " + rnd.Next(1, 65536),
        3 => $"{rnd.Next(1, 1000)}:{rnd.Next(1000, 65536)}",
        4 => $"{rnd.Next(1, 1000)} >< {rnd.Next(1000, 65536)}",
        5 => "{ ssh, 80 }",
        _ => "www",
    };

    /// <summary>The model fields the engine reads, for comparing two loads.</summary>
    private static string Model(PfConfig c)
    {
        var sb = new StringBuilder();
        foreach (var r in c.Main.AllRules)
            sb.Append($"{r.Number} {r.Action} {r.Return} {r.Direction} {r.Log} {r.Quick} {r.Interface} {r.InterfaceNot} {r.Af} {r.Proto} " +
                      $"{r.From.Address.Kind}:{r.From.Address.Not}:{r.From.Address.Address}/{r.From.Address.Prefix}:{r.From.Address.Name} {r.From.Port} " +
                      $"{r.To.Address.Kind}:{r.To.Address.Not}:{r.To.Address.Address}/{r.To.Address.Prefix}:{r.To.Address.Name} {r.To.Port} " +
                      $"{r.Flags}/{r.FlagsMask} {r.IcmpType}/{r.IcmpCode} {r.State} {r.StateOptions.MaxStates} {r.Label} {r.Tag} | {r.Text}\n");
        return sb.ToString();
    }

    private static readonly Gen<(int Seed, bool FreeBsd)> Rulesets =
        from seed in Gen.Choose(0, int.MaxValue)
        from fb in Gen.Elements(false, true)
        select (seed, fb);

    [Fact]
    public void PrintedRuleset_LoadsBackToTheSameModel_AndPrintsTheSame()
    {
        Prop.ForAll(Rulesets.ToArbitrary(), x =>
        {
            var d = x.FreeBsd ? Dialect.FreeBsd : Dialect.OpenBsd;
            var text = RandomRuleset(x.Seed, d);
            var options = new LoadOptions { Dialect = d };
            var first = PfConfLoader.LoadText(text, "gen.conf", options);
            if (!first.Success) throw new Exception("generated ruleset rejected:\n" + text + string.Join("\n", first.Errors));
            var printed = ConfigPrinter.Print(first.Config!);
            var second = PfConfLoader.LoadText(printed, "printed.conf", options);
            if (!second.Success) throw new Exception("printed ruleset rejected:\n" + printed + string.Join("\n", second.Errors));
            var reprinted = ConfigPrinter.Print(second.Config!);
            if (reprinted != printed) throw new Exception($"print is not stable:\n{printed}\n---\n{reprinted}");
            if (Model(first.Config!) != Model(second.Config!)) throw new Exception($"model differs:\n{Model(first.Config!)}\n---\n{Model(second.Config!)}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }

    private static readonly string[] Fragments =
    [
        "pass", "block", "in", "out", "on", "em0", "from", "to", "any", "port", "{", "}", "(", ")", "<", ">", "!", "=", "!=", ":", "/",
        "-", "->", "$x", "\"", "\\\n", "\n", "#", "keep state", "flags", "S/SA", "icmp-type", "code", "table", "anchor", "nat", "rdr",
        "nat-to", "rdr-to", "route-to", "label", "set", "timeout", "limit", "10.0.0.0/8", "::1", "256.1.1.1", "65536", "0x10", "'",
        "x = \"{ a b }\"", "include", "load anchor", "queue", "scrub", "antispoof for", "user", "group", ",", "inet6", "proto",
    ];

    private static string Mutate(string text, int seed)
    {
        var rnd = new Random(seed);
        var sb = new StringBuilder(text);
        int edits = rnd.Next(1, 12);
        for (int i = 0; i < edits; i++)
        {
            int pos = sb.Length == 0 ? 0 : rnd.Next(sb.Length);
            switch (rnd.Next(5))
            {
                case 0: if (sb.Length > 0) sb.Remove(pos, Math.Min(rnd.Next(1, 8), sb.Length - pos)); break;
                case 1: sb.Insert(pos, Fragments[rnd.Next(Fragments.Length)] + (rnd.Next(2) == 0 ? " " : "")); break;
                case 2: sb.Insert(pos, (char)rnd.Next(0, 128)); break;
                case 3: if (sb.Length > 0) sb[pos] = (char)rnd.Next(32, 127); break;
                default: sb.Insert(pos, Fragments[rnd.Next(Fragments.Length)]); break;
            }
        }
        return sb.ToString();
    }

    private static readonly Gen<(int Seed, int Mutation, int Source)> Mutations =
        from seed in Gen.Choose(0, int.MaxValue)
        from m in Gen.Choose(0, int.MaxValue)
        from s in Gen.Choose(0, 3)
        select (seed, m, s);

    [Fact]
    public void MutatedRulesets_OnlyEverReportErrors_NeverThrow()
    {
        Prop.ForAll(Mutations.ToArbitrary(), x =>
        {
            var dialect = x.Source % 2 == 0 ? Dialect.OpenBsd : Dialect.FreeBsd;
            string text = x.Source < 2 ? RandomRuleset(x.Seed, dialect) : SeedText(x.Seed);
            var mutated = Mutate(text, x.Mutation);
            foreach (var d in new[] { Dialect.OpenBsd, Dialect.FreeBsd, Dialect.Auto })
            {
                LoadResult r;
                try { r = PfConfLoader.LoadText(mutated, "m.conf", new LoadOptions { Dialect = d }); }
                catch (Exception e) { throw new Exception($"threw {e.GetType().Name}: {e.Message} on:\n{mutated}", e); }
                if (r.Config is null) throw new Exception("no config");
                if (r.Success) ConfigPrinter.Print(r.Config);
                foreach (var err in r.Errors)
                    if (err.Line > 0 && err.Line > mutated.Count(c => c == '\n') + 1 && err.File == "m.conf")
                        throw new Exception($"error on a line past the end: {err}\n{mutated}");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }

    private static string SeedText(int seed)
    {
        var files = new[] { "A", "B", "C", "D" };
        var text = File.ReadAllText(Peer.Captures("labs", "seed", files[(seed & int.MaxValue) % files.Length] + ".conf"));
        if (Peer.Dir is null) return text;
        var peerIns = Directory.GetFiles(Peer.Path_("pfctl-openbsd"), "pf*.in").Concat(Directory.GetFiles(Peer.Path_("pfctl-freebsd"), "pf*.in")).Order().ToArray();
        return (seed & 1) == 0 ? text : File.ReadAllText(peerIns[(seed >> 1) % peerIns.Length]);
    }

    [LongFact]
    public void LongRun_RandomBytes_OnlyEverReportErrors()
    {
        var rnd = new Random(1);
        for (int i = 0; i < 200000; i++)
        {
            var chars = new char[rnd.Next(0, 200)];
            for (int j = 0; j < chars.Length; j++) chars[j] = (char)rnd.Next(0, 256);
            var r = PfConfLoader.LoadText(new string(chars), "r.conf", new LoadOptions());
            Assert.NotNull(r.Config);
        }
    }
}
