using PfSim.Flows;

namespace PfSim.Tests.Flows;

/// <summary>Lab files are written by hand: every mistake is reported as FILE:LINE: message.</summary>
public class LabFileTests
{
    private static IReadOnlyList<string> Errors(string yaml) =>
        Assert.Throws<LabFileException>(() => LabFile.Parse(yaml, "lab.yaml")).Errors;

    [Fact]
    public void UnknownOs_UnknownTool_AndBadAddress_AreAllReportedWithTheirLines()
    {
        var errors = Errors("""
            hosts:
              a:
                os: plan9
                interfaces: { eth0: 10.0.0.1/24 }
              b:
                interfaces: { eth0: 10.0.0.300/24 }
            runs:
              - { tool: mtr, from: a, to: b }
            """);
        Assert.Contains("lab.yaml:3: unknown os 'plan9' (linux, freebsd, openbsd, windows)", errors);
        Assert.Contains(errors, e => e.StartsWith("lab.yaml:6: '10.0.0.300/24' is not address/prefix"));
        Assert.Contains(errors, e => e.StartsWith("lab.yaml:8: unknown tool 'mtr'"));
    }

    [Fact]
    public void Tracert_OnLinux_IsAnError()
    {
        var errors = Errors("""
            hosts:
              a: { os: linux, interfaces: { eth0: 10.0.0.1/24 } }
              b: { os: linux, interfaces: { eth0: 10.0.0.2/24 } }
            runs:
              - { tool: tracert, from: a, to: b }
            """);
        Assert.Equal(["lab.yaml:5: tracert does not exist on linux (a)"], errors);
    }

    [Fact]
    public void GatewayOffLink_AndUnknownKey_AreErrors()
    {
        var errors = Errors("""
            hosts:
              a: { os: linux, interfaces: { eth0: 10.0.0.1/24 }, gateway: 10.9.9.9, colour: red }
            runs:
              - { tool: ping, from: a, to: 10.0.0.1 }
            """);
        Assert.Contains(errors, e => e.StartsWith("lab.yaml:2: a: gateway 10.9.9.9 is not on any of its links"));
        Assert.Contains(errors, e => e.StartsWith("lab.yaml:2: a: unknown key 'colour'"));
    }

    [Fact]
    public void YamlSyntaxError_HasALine()
    {
        var errors = Errors("hosts:\n  a: [\n");
        Assert.Single(errors);
        Assert.StartsWith("lab.yaml:", errors[0]);
    }

    [Fact]
    public void SeedLab_Loads_WithFiveRulesetsAndDefinesForD()
    {
        var lab = LabFile.Load(Peer.Captures("labs", "seed", "lab.yaml"));
        Assert.Equal(["A", "B", "C", "D", "D-windows"], lab.Rulesets.Select(r => r.Name));
        var server = lab.Topology.Find("server")!;
        var d = lab.Rulesets.Single(r => r.Name == "D").Sources[server];
        Assert.Contains(new KeyValuePair<string, string>("ext_if", "bge0"), d.Defines);
        Assert.Equal(PfSim.Rules.Dialect.FreeBsd, d.Dialect);
    }
}
