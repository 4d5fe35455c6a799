using System.Globalization;
using System.Text;

namespace PfSim.Syntax;

/// <summary>
/// Turns a ClassBench filter set (db_generator lines: <c>@sa/len  da/len  lo : hi  lo : hi  0xPP/0xMM  flags/mask</c>)
/// into a pf.conf whose first matching rule is the filter set's first match: every rule is
/// <c>pass in quick</c> on one interface, labelled with its line number. A rule with ports and no protocol
/// becomes <c>proto { tcp udp }</c> (pf tests ports only for those); ports of other protocols are dropped;
/// the flags field is ignored, as classifier studies do.
/// </summary>
public static class ClassBenchRules
{
    /// <summary>The pf.conf text for a filter set; <paramref name="error"/> is the first line that is not a filter.</summary>
    public static string ToPfConf(string filterSet, string ifname, out string? error)
    {
        error = null;
        var sb = new StringBuilder(filterSet.Length * 2);
        int n = 0;
        foreach (var raw in filterSet.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            var f = line.Split('\t');
            if (f.Length < 5 || !f[0].StartsWith('@'))
            {
                error ??= $"line {n + 1}: not a ClassBench filter";
                continue;
            }
            string src = Net(f[0][1..]), dst = Net(f[1]);
            var (sp, spAny) = Ports(f[2]);
            var (dp, dpAny) = Ports(f[3]);
            var pm = f[4].Split('/');
            int proto = Convert.ToInt32(pm[0], 16), mask = Convert.ToInt32(pm[1], 16);
            bool anyProto = mask == 0;
            string protoText = anyProto ? (spAny && dpAny ? "" : " proto { tcp udp }") : $" proto {proto}";
            bool ports = anyProto || proto is 6 or 17;
            sb.Append("pass in quick on ").Append(ifname).Append(" inet").Append(protoText)
              .Append(" from ").Append(src).Append(ports && !spAny ? " port " + sp : "")
              .Append(" to ").Append(dst).Append(ports && !dpAny ? " port " + dp : "")
              .Append(" label \"cb").Append(n.ToString(CultureInfo.InvariantCulture)).Append("\"\n");
            n++;
        }
        return sb.ToString();
    }

    private static string Net(string s) => s == "0.0.0.0/0" ? "any" : s.EndsWith("/32", StringComparison.Ordinal) ? s[..^3] : s;

    private static (string Text, bool Any) Ports(string s)
    {
        var parts = s.Split(':', StringSplitOptions.TrimEntries);
        uint lo = uint.Parse(parts[0], CultureInfo.InvariantCulture), hi = uint.Parse(parts[1], CultureInfo.InvariantCulture);
        if (lo == 0 && hi == 65535) return ("", true);
        return (lo == hi ? $"= {lo}" : $"{lo}:{hi}", false);
    }
}
