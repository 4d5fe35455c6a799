using PfSim.Captures;
using PfSim.Flows;
using PfSim.Syntax;

namespace PfSim.Tests.Flows;

/// <summary>What --write-pcap and --write-pflog write: readable captures that replay to the lab's own verdicts.</summary>
public class LabCaptureTests
{
    private static readonly Lab Lab = LabFile.Load(Peer.Captures("labs", "seed", "lab.yaml"));

    [Theory]
    [InlineData("C")]
    [InlineData("D")]
    public void WrittenPcap_ReplaysThroughAFreshPf_ToTheSameVerdicts(string ruleset)
    {
        var runner = new LabRunner(Lab, new PfFilterFactory(explain: false));
        var variant = Lab.Rulesets.Single(r => r.Name == ruleset);
        var outcomes = Lab.Runs.Select(r => runner.Run(variant, r)).ToList();
        var server = Lab.Topology.Find("server")!;
        var expected = outcomes.SelectMany(o => o.Simulation.Steps.Where(s => s.Kind == StepKind.Filtered && s.Node == server))
            .Select(s => (s.Verdict!.Pass, s.Verdict.Rule, s.Verdict.State)).ToList();

        var path = Path.Combine(Directory.CreateTempSubdirectory("pfsim-pcap").FullName, "seed.pcap");
        LabCaptures.WritePcap(path, outcomes);

        // the replay a user would run: pfsim replay -f D.conf -D ext_if=bge0 --local 192.168.50.1 seed.pcap
        var src = variant.Sources[server];
        var loaded = PfConfLoader.LoadFile(Lab.ResolveFile(src.File), new LoadOptions
        {
            Dialect = src.Dialect, Host = server.ToHostModel(),
            Defines = src.Defines.ToDictionary(d => d.Key, d => d.Value),
        });
        var pf = new PfFilter(loaded.Config!, explain: false);
        var got = new List<(bool, int?, PfSim.Engine.StateUse)>();
        using var reader = CaptureReader.Open(path);
        Assert.Equal((int)LinkType.Raw, reader.LinkType);
        while (reader.TryRead(out var p))
        {
            var bytes = p.Data.ToArray();
            var dir = new Ip4View(bytes).Dst == server.PrimaryAddress ? Direction.In : Direction.Out;
            var v = pf.Test(bytes, "bge0", dir, p.Seconds);
            got.Add((v.Pass, v.Rule, v.State));
        }
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Cli_LabWritePcap_ThenPfsimReplay_GivesTheLabsVerdicts()
    {
        var dir = Directory.CreateTempSubdirectory("pfsim-replay").FullName;
        var pcap = Path.Combine(dir, "d.pcap");
        var lab = Peer.Captures("labs", "seed", "lab.yaml");
        Assert.Equal(0, PfSim.Tests.Cli.CliRunner.Run("lab", lab, "--ruleset", "D", "--write-pcap", pcap).Code);
        var (code, stdout, stderr) = PfSim.Tests.Cli.CliRunner.Run("replay", "-f", Peer.Captures("labs", "seed", "D.conf"), "-D", "ext_if=bge0",
            "--dialect", "freebsd", "--if", "bge0", "--local", "192.168.50.1", "--json", pcap);
        Assert.True(code == 0, stderr);
        var replayed = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("action").GetString() == "pass", e.GetProperty("rule").ValueKind == System.Text.Json.JsonValueKind.Null ? (int?)null : e.GetProperty("rule").GetInt32(),
                          e.GetProperty("state").GetString()!, e.GetProperty("dir").GetString()!)).ToList();
        var runner = new LabRunner(Lab, new PfFilterFactory(explain: false));
        var variant = Lab.Rulesets.Single(r => r.Name == "D");
        var server = Lab.Topology.Find("server")!;
        var expected = Lab.Runs.Select(r => runner.Run(variant, r)).SelectMany(o => o.Simulation.Steps)
            .Where(s => s.Kind == StepKind.Filtered && s.Node == server)
            .Select(s => (s.Verdict!.Pass, s.Verdict.Rule, s.Verdict.State.ToString().ToLowerInvariant(), s.Dir == Direction.In ? "in" : "out")).ToList();
        Assert.Equal(expected, replayed);
    }

    [Fact]
    public void WrittenPflog_HoldsWhatRulesetDLogs_WithIfDirAndRule()
    {
        var runner = new LabRunner(Lab, new PfFilterFactory(explain: false));
        var variant = Lab.Rulesets.Single(r => r.Name == "D");
        var outcomes = Lab.Runs.Select(r => runner.Run(variant, r)).ToList();
        var logged = outcomes.SelectMany(o => o.Simulation.Steps).Count(s => s.Kind == StepKind.Filtered && s.Verdict!.Log);
        Assert.True(logged > 0); // every rule of D has log
        var path = Path.Combine(Directory.CreateTempSubdirectory("pfsim-pflog").FullName, "seed.pflog");
        LabCaptures.WritePflog(path, outcomes);
        using var reader = CaptureReader.Open(path);
        Assert.Equal((int)LinkType.Pflog, reader.LinkType);
        int n = 0;
        while (reader.TryRead(out var p))
        {
            Assert.True(PflogHeader.TryRead(p.Data, p.HostLittleEndian, out var h, out _));
            Assert.Equal("bge0", h.IfNameText);
            Assert.Equal(PflogLayout.FreeBsd72, h.Layout);
            n++;
        }
        Assert.Equal(logged, n);
    }
}
