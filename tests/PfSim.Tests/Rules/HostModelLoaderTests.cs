using PfSim.Rules;
using PfSim.Syntax;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Rules;

public class HostModelLoaderTests
{
    private const string Yaml = """
        interfaces:
          - name: em0
            addresses: [192.0.2.1/24, 2001:db8::1/64]
            groups: [egress]
          - name: em1
            addresses: [10.0.0.1/24]
        hosts:
          www.example.org: [192.0.2.80]
        users: { alice: 1001 }
        """;

    [Fact]
    public void HostFile_GivesInterfacesGroupsHostsAndUsers_ToTheRuleset()
    {
        var (host, errors) = HostModelLoader.LoadText(Yaml, "host.yaml");
        Assert.Empty(errors);
        var r = PfConfLoader.LoadText(
            "pass in on egress from em1:network to www.example.org user alice\npass out from self to (egress)\n", "t.conf",
            new LoadOptions { Host = host!, Dialect = Dialect.OpenBsd });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        var rules = r.Config!.Main.Filter;
        // em1:network is 10.0.0.0/24 (pfctl expands interface names at load time); the group stays a name.
        Assert.Equal("pass in on egress inet from 10.0.0.0/24 to 192.0.2.80 user = 1001 flags S/SA", rules[0].Text);
        // self: every address of every interface the host file lists, one rule each.
        Assert.Equal(3, rules.Count - 1);
        Assert.Contains(rules, x => x.Text == "pass out inet from 192.0.2.1 to (egress) flags S/SA");
    }

    [Fact]
    public void HostFile_Errors_AreReportedAsFileLine()
    {
        var (host, errors) = HostModelLoader.LoadText("interfaces:\n  - name: em0\n    addresses: [300.1.1.1/24]\n", "h.yaml");
        Assert.Null(host);
        Assert.Equal("h.yaml:3: not an IP address: '300.1.1.1/24'", errors.Single().ToString());
    }

    [Fact]
    public void CheckCommand_WithHostFile_ResolvesItsInterfaces()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pfsim-host-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "host.yaml"), Yaml);
            File.WriteAllText(Path.Combine(dir, "pf.conf"), "block in on em0 from ! em0:network\n");
            var (code, _, err) = CliRunner.Run("check", "--host", Path.Combine(dir, "host.yaml"), Path.Combine(dir, "pf.conf"));
            Assert.Equal("", err);
            Assert.Equal(0, code);
            var (code2, _, err2) = CliRunner.Run("check", Path.Combine(dir, "pf.conf"));
            Assert.Equal(1, code2);
            Assert.Contains("no IP address found for em0:network", err2);
        }
        finally { Directory.Delete(dir, true); }
    }
}
