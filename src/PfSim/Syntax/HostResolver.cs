using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>
/// pfctl's host(): an interface or group name (with :network, :broadcast, :peer, :0), <c>self</c>,
/// a numeric address with optional /mask (also "10/8"), or a host name, all answered by the host model.
/// </summary>
internal sealed class HostResolver(HostModel host, Action<string, int, string> error, Func<string> file)
{
    /// <summary>The addresses a host string stands for, or null after reporting why not (pfctl prints that line without a position).</summary>
    public List<HostSpec>? Resolve(string s, int line, bool quiet)
    {
        int mask = -1;
        string ps = s;
        int slash = s.IndexOf('/');
        if (slash >= 0)
        {
            if (!int.TryParse(s.AsSpan(slash + 1), out mask) || mask < 0 || mask > 128)
            {
                if (!quiet) error("", 0, $"netmask is invalid: {s[slash..]}");
                return null;
            }
            ps = s[..slash];
        }
        var h = Interface(ps, mask, out bool badModifiers) ?? Ip(ps, mask) ?? Dns(ps, mask);
        if (h is null || h.Count == 0)
        {
            if (!quiet && !badModifiers) error("", 0, $"no IP address found for {s}");
            return null;
        }
        return h;
    }

    private static readonly string[] Modifiers = ["network", "broadcast", "peer", "0"];

    private static InterfaceModifier? ModifierOf(string suffix) => suffix switch
    {
        "network" => InterfaceModifier.Network,
        "broadcast" => InterfaceModifier.Broadcast,
        "peer" => InterfaceModifier.Peer,
        "0" => InterfaceModifier.NoAlias,
        _ => null,
    };

    private static (string Name, InterfaceModifier Flags)? SplitModifiers(string s)
    {
        var flags = InterfaceModifier.None;
        while (true)
        {
            int c = s.LastIndexOf(':');
            if (c < 0) break;
            var m = ModifierOf(s[(c + 1)..]);
            if (m is null) return null;
            flags |= m.Value;
            s = s[..c];
        }
        return (s, flags);
    }

    /// <summary>Whether the model knows this name as an interface, an interface group, or it is "self".</summary>
    public bool Exists(string name) =>
        name == "self" || host.Interfaces.Any(i => i.Name == name || i.Groups.Contains(name) || HostModel.DriverGroup(i.Name) == name);

    private List<HostSpec>? Interface(string s, int mask, out bool reported)
    {
        reported = false;
        var split = SplitModifiers(s);
        if (split is null) return null;
        var (name, flags) = split.Value;
        if (!Exists(name)) return null;
        var modes = flags & (InterfaceModifier.Network | InterfaceModifier.Broadcast | InterfaceModifier.Peer);
        if ((modes & (modes - 1)) != 0)
        {
            error("", 0, "illegal combination of interface modifiers");
            reported = true;
            return null;
        }
        if ((flags & (InterfaceModifier.Network | InterfaceModifier.Broadcast)) != 0 && mask > -1)
        {
            error("", 0, "network or broadcast lookup, but extra netmask given");
            reported = true;
            return null;
        }
        var result = new List<HostSpec>();
        foreach (var itf in Members(name))
        {
            bool got4 = false, got6 = false;
            foreach (var a in itf.Addresses)
            {
                var addr = a.Address;
                if (flags.HasFlag(InterfaceModifier.Broadcast))
                {
                    if (!addr.IsV4 || a.Broadcast is null) continue;
                    addr = a.Broadcast.Value;
                }
                if (flags.HasFlag(InterfaceModifier.Peer))
                {
                    if (a.Peer is null) continue;
                    addr = a.Peer.Value;
                }
                // :network skips scoped (link-local) IPv6 addresses, whose ifindex pfctl sets.
                if (flags.HasFlag(InterfaceModifier.Network) && IsLinkLocal(a.Address)) continue;
                if (flags.HasFlag(InterfaceModifier.NoAlias))
                {
                    if (addr.IsV4 && got4) continue;
                    if (addr.IsV6 && got6) continue;
                }
                if (addr.IsV4) got4 = true; else got6 = true;
                int bits = flags.HasFlag(InterfaceModifier.Network) ? a.Prefix : mask > -1 ? mask : addr.Bits;
                if (mask > -1) bits = mask;
                result.Add(new HostSpec(AddressMatch.Net(addr, Math.Min(bits, addr.Bits)), addr.Family));
            }
        }
        return result;
    }

    private static bool IsLinkLocal(Address a) => a.IsV6 && (a.Hi >> 54) == 0x3fa;

    private IEnumerable<HostInterface> Members(string name)
    {
        if (name == "self") return host.Interfaces;
        var exact = host.Interfaces.Where(i => i.Name == name).ToList();
        if (exact.Count > 0) return exact;
        return host.Interfaces.Where(i => i.Groups.Contains(name) || HostModel.DriverGroup(i.Name) == name);
    }

    private static List<HostSpec>? Ip(string s, int mask)
    {
        // getaddrinfo accepts a scope ("fe80::1%lo0"); pf keeps the address without it.
        int pct = s.IndexOf('%');
        string? scope = null;
        if (pct > 0 && s.Contains(':')) { scope = s[(pct + 1)..]; s = s[..pct]; }
        if (Address.TryParse(s, out var a))
        {
            int bits = mask < 0 ? a.Bits : mask;
            if (a.IsV4 && bits > 32) return [new HostSpec(new AddressMatch { Kind = AddressKind.Network, Address = a, Prefix = bits }, Af.Inet)];
            return [new HostSpec(AddressMatch.Net(a, bits), a.Family) { ScopeIf = scope }];
        }
        if (mask < 0) return null;
        // inet_net_pton: "10", "10.1", "10.1.2" with a mask.
        var parts = s.Split('.');
        if (parts.Length is < 1 or > 4) return null;
        uint v = 0;
        for (int i = 0; i < 4; i++)
        {
            uint octet = 0;
            if (i < parts.Length)
            {
                if (parts[i].Length == 0 || parts[i].Length > 3 || !parts[i].All(char.IsAsciiDigit)) return null;
                octet = uint.Parse(parts[i]);
                if (octet > 255) return null;
            }
            v = v << 8 | octet;
        }
        var addr = Address.V4(v);
        if (mask > 32) return [new HostSpec(new AddressMatch { Kind = AddressKind.Network, Address = addr, Prefix = mask }, Af.Inet)];
        return [new HostSpec(AddressMatch.Net(addr, mask), Af.Inet)];
    }

    private List<HostSpec>? Dns(string s, int mask)
    {
        bool noAlias = false;
        if (s.EndsWith(":0", StringComparison.Ordinal)) { noAlias = true; s = s[..^2]; }
        if (!host.Hosts.TryGetValue(s, out var addrs)) return null;
        var result = new List<HostSpec>();
        bool got4 = false, got6 = false;
        foreach (var a in addrs)
        {
            if (noAlias && ((a.IsV4 && got4) || (a.IsV6 && got6))) continue;
            if (a.IsV4) got4 = true; else got6 = true;
            int bits = mask < 0 ? a.Bits : Math.Min(mask, a.Bits);
            result.Add(new HostSpec(AddressMatch.Net(a, bits), a.Family));
        }
        return result;
    }

    /// <summary>A dynamic address <c>(if[:mod])</c>; null after reporting an error.</summary>
    public AddressMatch? Dynamic(string s, int line)
    {
        var split = SplitModifiers(s);
        if (split is null)
        {
            error(file(), line, $"invalid interface name '{s}'");
            return null;
        }
        var (name, flags) = split.Value;
        var modes = flags & (InterfaceModifier.Network | InterfaceModifier.Broadcast | InterfaceModifier.Peer);
        if ((modes & (modes - 1)) != 0)
        {
            error(file(), line, "illegal combination of interface modifiers");
            return null;
        }
        if (name.Length == 0 || Address.TryParse(name, out _) || char.IsAsciiDigit(name[0]))
        {
            error(file(), line, $"invalid interface name '{s}'");
            return null;
        }
        return new AddressMatch { Kind = AddressKind.Dynamic, Name = name, Modifiers = flags, Prefix = -1 };
    }

    internal static IReadOnlyList<string> ModifierNames => Modifiers;
}
