using PfSim;

namespace PfSim.Tests;

public class AddressTests
{
    [Theory]
    [InlineData("10.1.2.3")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("2001:db8::1:0:0:1")]
    [InlineData("::ffff:1.2.3.4")]
    public void Parse_ThenPrint_GivesTheSameText(string text) => Assert.Equal(text, Address.Parse(text).ToString());

    [Fact]
    public void Ipv4_NeedsFourParts_AsInetPtonDoes()
    {
        Assert.False(Address.TryParse("10.1", out _));
        Assert.False(Address.TryParse("10.1.2.256", out _));
    }

    [Fact]
    public void InNetwork_ComparesOnlyThePrefix()
    {
        var net = Address.Parse("192.168.40.0");
        Assert.True(Address.Parse("192.168.40.1").InNetwork(net, 24));
        Assert.False(Address.Parse("192.168.41.1").InNetwork(net, 24));
        Assert.True(Address.Parse("2001:db8::5").InNetwork(Address.Parse("2001:db8::"), 32));
        Assert.False(Address.Parse("2001:db9::5").InNetwork(Address.Parse("2001:db8::"), 32));
    }
}
