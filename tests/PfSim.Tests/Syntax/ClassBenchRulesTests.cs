using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Tests.Syntax;

public class ClassBenchRulesTests
{
    [Fact]
    public void Filter_BecomesQuickPassRule_WithPortsAndProtocol()
    {
        var text = "@147.26.161.237/32\t81.147.162.0/24\t0 : 65535\t1521 : 1521\t0x06/0xFF\t0x1000/0x1000\t\n" +
                   "@0.0.0.0/0\t10.0.0.0/8\t1024 : 2048\t0 : 65535\t0x00/0x00\t0x0000/0x0000\t\n";
        var conf = ClassBenchRules.ToPfConf(text, "em0", out var error);
        Assert.Null(error);
        var r = PfConfLoader.LoadText(conf, "cb.conf", new LoadOptions { Dialect = Dialect.OpenBsd });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        var rules = r.Config!.Main.Filter;
        Assert.Equal(3, rules.Count); // the protocol-less rule with ports becomes tcp and udp
        Assert.Equal("pass in quick on em0 inet proto tcp from 147.26.161.237 to 81.147.162.0/24 port = 1521 flags S/SA label \"cb0\"", rules[0].Text);
        Assert.Equal(new PortMatch(PortOp.Range, 1024, 2048), rules[1].From.Port);
        Assert.Equal(17, rules[2].Proto);
    }

    [PeerFact]
    public void ClassBench10K_LoadsEveryFilter()
    {
        var conf = ClassBenchRules.ToPfConf(File.ReadAllText(Peer.Path_("classbench", "acl1_10K")), "em0", out var error);
        Assert.Null(error);
        var r = PfConfLoader.LoadText(conf, "acl1_10K.conf", new LoadOptions { Dialect = Dialect.FreeBsd });
        Assert.True(r.Success, string.Join("\n", r.Errors.Take(3)));
        Assert.True(r.Config!.Main.Filter.Count >= 9797);
        Assert.Equal(r.Config.Main.Filter.Count - 1, r.Config.Main.Filter[^1].Number);
    }
}
