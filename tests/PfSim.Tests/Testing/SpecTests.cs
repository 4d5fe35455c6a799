using PfSim.Testing;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Testing;

/// <summary>Every spec expectation kind passes on the right ruleset (seed-C.yaml) and fails with the expected witness on a wrong expectation (seed-C-wrong.yaml).</summary>
public class SpecTests
{
    private static string SpecFile(string name) => Peer.Captures("specs", name);

    [Fact]
    public void SeedC_EveryKindPasses()
    {
        var r = SpecRunner.Run(SpecFile("seed-C.yaml"));
        Assert.Null(r.Error);
        Assert.All(r.Results, x => Assert.True(x.Passed, x.Expectation.Text + "\n" + x.Failure));
        Assert.Equal(Enum.GetValues<ExpectationKind>().ToHashSet(), r.Results.Select(x => x.Expectation.Kind).ToHashSet());
    }

    [Fact]
    public void SeedCWrong_EveryKindFails_WithItsWitness()
    {
        var r = SpecRunner.Run(SpecFile("seed-C-wrong.yaml"));
        Assert.Null(r.Error);
        string Failure(ExpectationKind k) => r.Results.Single(x => x.Expectation.Kind == k).Failure ?? "";
        Assert.All(r.Results, x => Assert.False(x.Passed));
        Assert.Contains("witness: in on bge0 inet proto icmp from 192.168.100.1 to 192.168.50.1 icmp-type 8", Failure(ExpectationKind.Packets));
        Assert.Contains("port 23 flags S", Failure(ExpectationKind.Property));
        Assert.Contains("Shrunk:", Failure(ExpectationKind.Property));
        Assert.Contains("packet 1 was blocked", Failure(ExpectationKind.Flow));
        Assert.Contains("from 192.168.100.", Failure(ExpectationKind.Flow));
        Assert.Contains("dropped by pf on server in on bge0: @0 block drop on bge0 inet proto icmp all", Failure(ExpectationKind.Tool));
    }

    [Fact]
    public void TestCommand_PrintsSummary_WritesJUnit_AndExitsOneOnFailure()
    {
        var junit = Path.Combine(Directory.CreateTempSubdirectory("pfsim-junit").FullName, "r.xml");
        var (code, o, _) = CliRunner.Run("test", SpecFile("seed-C.yaml"), SpecFile("seed-C-wrong.yaml"), "--junit", junit);
        Assert.Equal(1, code);
        Assert.EndsWith("13 passed, 4 failed", o.TrimEnd());
        var xml = System.Xml.Linq.XDocument.Load(junit);
        Assert.Equal("17", xml.Root!.Attribute("tests")!.Value);
        Assert.Equal(4, xml.Descendants("failure").Count());
        var (ok, o2, _) = CliRunner.Run("test", SpecFile("seed-C.yaml"));
        Assert.Equal(0, ok);
        Assert.EndsWith("13 passed, 0 failed", o2.TrimEnd());
    }

    [Fact]
    public void TestCommand_Seed_ReplaysTheSameGeneratedCases_AndIsNamedOnFailure()
    {
        var a = CliRunner.Run("test", "--seed", "7", SpecFile("seed-C-wrong.yaml"));
        var b = CliRunner.Run("test", "--seed", "7", SpecFile("seed-C-wrong.yaml"));
        Assert.Equal(1, a.Code);
        Assert.Equal(a.Out, b.Out);
        Assert.Contains("--seed 7", a.Out);
        Assert.DoesNotContain("   at ", a.Out); // FsCheck's report without stack frames
        Assert.DoesNotContain("--seed", CliRunner.Run("test", "--seed", "7", SpecFile("seed-C.yaml")).Out);
    }

    [Fact]
    public void Spec_ErrorsSayWhere()
    {
        var dir = Directory.CreateTempSubdirectory("pfsim-spec").FullName;
        var f = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(f, "ruleset: nothere.conf\nexpect:\n  - tcp from any to any: maybe\n");
        var r = SpecRunner.Run(f);
        Assert.Contains("bad.yaml:3: outcome 'maybe' is not one of: pass, block", r.Error);
    }

    [Theory]
    [InlineData("tcp from any to 10.0.0.1 port 22", "bge0", "in on bge0 tcp from any to 10.0.0.1 port 22 flags S/SA")]
    [InlineData("out on em0 udp from any to any", "bge0", "out on em0 udp from any to any")]
    [InlineData("out proto icmp to 10.0.0.1", "bge0", "out on bge0 proto icmp to 10.0.0.1")]
    [InlineData("tcp from any to any flags A/A", null, "in tcp from any to any flags A/A")]
    public void Selector_DefaultsToArrivingPackets_OnTheSpecsInterface_AndSyns(string subject, string? iface, string want)
    {
        var got = SpecRunner.Selector(subject, iface);
        Assert.Equal(want, got);
    }
}
