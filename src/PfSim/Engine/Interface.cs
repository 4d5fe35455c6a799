using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>An interface as the firewall resolved it once: its name, the groups it belongs to, whether pf skips it.</summary>
public sealed class Interface
{
    internal Interface(int id, string name, HostModel host, PfOptions options)
    {
        Id = id;
        Name = name;
        Names.Add(name);
        IsEnc = HostModel.DriverGroup(name) == "enc";
        var known = host.FindInterface(name);
        if (known is not null) foreach (var g in known.Groups) Names.Add(g);
        else Names.Add(HostModel.DriverGroup(name));
        // The kernel puts every interface in the "all" group.
        Names.Add("all");
        foreach (var s in options.Skip)
            if (Names.Contains(s)) Skip = true;
    }

    public int Id { get; }
    public string Name { get; }
    /// <summary>The name and every group the interface is a member of.</summary>
    public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
    /// <summary>An enc(4) interface (the kernel's IFT_ENC type, told by the driver name): uRPF checks pass on it.</summary>
    public bool IsEnc { get; }
    /// <summary><c>set skip on</c> names this interface or one of its groups.</summary>
    public bool Skip { get; }

    /// <summary>pfi_kif_match: a rule's <c>on NAME</c> (interface or group, "any" for all) covers this interface.</summary>
    public bool Matches(string ruleInterface) => ruleInterface == "any" || Names.Contains(ruleInterface);
}
