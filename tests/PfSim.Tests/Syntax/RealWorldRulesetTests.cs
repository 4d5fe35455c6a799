using PfSim.Rules;
using PfSim.Syntax;
using Xunit.Abstractions;

namespace PfSim.Tests.Syntax;

/// <summary>
/// The real-world pf.conf files of ../shared/peer/rulesets load without a crash, and those pfctl accepts on
/// the machine they were written for load without errors. That machine is modelled: common NIC names with
/// addresses (em0 in group egress), the base users plus the ports-build user, and the table files they read
/// staged under a --root directory (drduh's own lists; an empty file where the list is not published).
/// </summary>
public class RealWorldRulesetTests(ITestOutputHelper output)
{
    /// <summary>Files pfctl would reject too, or that need what is not published: file → reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> Exceptions = new Dictionary<string, string>
    {
        ["thirdparty/115100__openbsd_router__etc_pf.conf"] = "the published file leaves macro ws_inet empty, so `rdr-to $ws_inet` is a syntax error for pfctl too",
        ["thirdparty/essandess__macOS-Fortress__pf.conf"] = "macOS pf dialect (scrub-anchor, dummynet-anchor): neither OpenBSD's nor FreeBSD's pfctl accepts it",
        ["thirdparty/essandess__macos-openvpn-server__pf.conf"] = "macOS pf dialect (scrub-anchor, dummynet-anchor): neither OpenBSD's nor FreeBSD's pfctl accepts it",
        ["thirdparty/noplacenoaddress__OpenBSD__src_etc_pf.conf"] = "includes /etc/pf.conf.macro.public, which the repository does not publish",
    };

    /// <summary>Table files the rulesets read, as staged under the root: published copies where there are some.</summary>
    private static readonly (string Path, string? PeerCopy)[] Staged =
    [
        ("/etc/pf/blocklist", "thirdparty/drduh__config__pf_blocklist"),
        ("/etc/pf/martians", "thirdparty/drduh__config__pf_martians"),
        ("/etc/pf/private", "thirdparty/drduh__config__pf_private"),
        ("/banip.txt", null), ("/etc/blacklist-ip", null), ("/usr/local/etc/emerging-Block-IPs.txt", null),
        ("/usr/local/etc/compromised-ips.txt", null), ("/etc/pita", null), ("/var/db/whitelist", null),
        ("/etc/mail/whitelist.txt", null), ("/etc/mail/nospamd", null), ("/etc/pf.whitelist", null),
        ("/usr/local/etc/dshield_block_ip.txt", null),
    ];

    private static readonly string[] NotRulesets = ["drduh__config__pf_blocklist", "drduh__config__pf_martians", "drduh__config__pf_private"];

    public static HostModel RulesetHost()
    {
        var h = HostModel.CreateDefault();
        int n = 0;
        foreach (var name in new[] { "em0", "em1", "em2", "em3", "re0", "re1", "re2", "dc0", "dc1", "athn0", "vio0", "vio1",
                     "bge0", "bfe0", "fxp0", "igb0", "igb1", "igb2", "ix0", "xl0", "pppoe0", "tun0", "tun1", "wg0", "vether0", "urndis0", "iwm0", "iwn0", "ral0", "rl0" })
        {
            n++;
            var groups = new List<string> { HostModel.DriverGroup(name) };
            if (name == "em0") groups.Add("egress");
            h.Interfaces.Add(new HostInterface(name,
            [
                new InterfaceAddress(Address.V4(10, (byte)n, 0, 1), 24, Broadcast: Address.V4(10, (byte)n, 0, 255)),
                new InterfaceAddress(Address.Parse($"2001:db8:{n:x}::1"), 64),
            ], groups));
        }
        h.Users["_pbuild"] = 21;
        return h;
    }

    private static string StageRoot()
    {
        var root = Path.Combine(Path.GetTempPath(), "pfsim-rulesets-root");
        foreach (var (path, peer) in Staged)
        {
            var target = Path.Combine(root, path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (peer is null) File.WriteAllText(target, "");
            else File.Copy(Peer.Path_("rulesets", peer), target, overwrite: true);
        }
        return root;
    }

    public static IEnumerable<string> Files()
    {
        if (Peer.Dir is null) yield break;
        foreach (var dir in new[] { "openbsd", "freebsd", "thirdparty" })
            foreach (var f in Directory.GetFiles(Peer.Path_("rulesets", dir)).Order(StringComparer.Ordinal))
                if (!NotRulesets.Contains(Path.GetFileName(f)))
                    yield return $"{dir}/{Path.GetFileName(f)}";
    }

    [PeerFact]
    public void RealWorldRulesets_ParseWithoutCrash_AndThoseApfctlAcceptsAreAccepted()
    {
        var root = StageRoot();
        var host = RulesetHost();
        int accepted = 0, failed = 0;
        var unexpected = new List<string>();
        foreach (var rel in Files())
        {
            var path = Peer.Path_("rulesets", rel);
            var r = PfConfLoader.LoadFile(path, new LoadOptions { Host = host, Root = root });
            Assert.NotNull(r.Config);
            bool excepted = Exceptions.ContainsKey(rel);
            if (r.Success) accepted++; else failed++;
            output.WriteLine($"{(r.Success ? "ok  " : "FAIL")} {rel} ({r.Dialect}, {Count(r.Config!.Main)} rules){(r.Success ? "" : ": " + r.Errors[0])}");
            if (!r.Success && !excepted) unexpected.Add($"{rel}: {string.Join(" | ", r.Errors.Take(3))}");
            if (r.Success && excepted) unexpected.Add($"{rel}: accepted now; remove it from the exception list");
        }
        output.WriteLine($"rulesets: {accepted} accepted, {failed} rejected ({Exceptions.Count} listed exceptions)");
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
    }

    private static int Count(Ruleset rs) => rs.AllRules.Count() + rs.Anchors.Values.Sum(Count);
}
