namespace PfSim.Rules;

/// <summary>One address configured on an interface.</summary>
public sealed record InterfaceAddress(Address Address, int Prefix, Address? Peer = null, Address? Broadcast = null)
{
    public Address Network => Address.Mask(Prefix);
}

/// <summary>A route of the machine pf runs on (besides its interfaces' own networks): destination, outgoing interface, gateway.</summary>
public sealed record HostRoute(Address Destination, int Prefix, string Interface, Address? Gateway = null);

/// <summary>An interface of the machine pf runs on: addresses and interface groups.</summary>
public sealed record HostInterface(string Name, IReadOnlyList<InterfaceAddress> Addresses, IReadOnlyList<string> Groups);

/// <summary>
/// What a ruleset's meaning depends on besides its text: the interfaces of the machine pf runs on
/// (for <c>(if)</c>, <c>if:network</c>, <c>self</c>, <c>antispoof</c>), host, user and group names.
/// </summary>
public sealed class HostModel
{
    public List<HostInterface> Interfaces { get; } = [];
    /// <summary>Routes beyond the interfaces' networks (for <c>no-route</c> and <c>urpf-failed</c>), e.g. a default route.</summary>
    public List<HostRoute> Routes { get; } = [];
    /// <summary>Host names → addresses, as the resolver would answer at load time.</summary>
    public Dictionary<string, List<Address>> Hosts { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, uint> Users { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, uint> Groups { get; } = new(StringComparer.Ordinal);

    public HostInterface? FindInterface(string name)
    {
        // A loop, not LINQ: NAT pools look interfaces up per packet, and a lambda capturing the name allocates each time.
        foreach (var i in Interfaces)
            if (i.Name == name) return i;
        return null;
    }

    /// <summary>Interfaces whose name or one of whose groups is <paramref name="nameOrGroup"/>.</summary>
    public IEnumerable<HostInterface> InterfacesIn(string nameOrGroup) =>
        Interfaces.Where(i => i.Name == nameOrGroup || i.Groups.Contains(nameOrGroup));

    /// <summary>True when interface <paramref name="ifname"/> is <paramref name="nameOrGroup"/> or belongs to that group.
    /// An interface the model does not know belongs to its driver group ("em" for "em0"), as in the kernel.</summary>
    public bool InterfaceMatches(string ifname, string nameOrGroup)
    {
        if (ifname == nameOrGroup) return true;
        var itf = FindInterface(ifname);
        if (itf is not null) return itf.Groups.Contains(nameOrGroup);
        return DriverGroup(ifname) == nameOrGroup;
    }

    /// <summary>The interface-type group the kernel puts every interface in: the name without its unit number.</summary>
    public static string DriverGroup(string ifname) => ifname.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');

    /// <summary>The stock BSD box of pfctl's regression suites: lo0 only, base-system users and groups.</summary>
    public static HostModel Default { get; } = CreateDefault();

    /// <summary>The stock FreeBSD box: lo0 as on OpenBSD, FreeBSD's base-system users and groups.</summary>
    public static HostModel DefaultFreeBsd { get; } = CreateDefault(Dialect.FreeBsd);

    /// <summary>The stock box of a dialect (its base system's /etc/passwd and /etc/group).</summary>
    public static HostModel DefaultFor(Dialect dialect) => dialect == Dialect.FreeBsd ? DefaultFreeBsd : Default;

    public static HostModel CreateDefault(Dialect dialect)
    {
        var h = CreateDefault();
        if (dialect != Dialect.FreeBsd) return h;
        h.Users.Clear();
        h.Groups.Clear();
        foreach (var (name, id) in new (string, uint)[]
        {
            ("root", 0), ("toor", 0), ("daemon", 1), ("operator", 2), ("bin", 3), ("tty", 4), ("kmem", 5), ("games", 7),
            ("news", 8), ("man", 9), ("sshd", 22), ("smmsp", 25), ("mailnull", 26), ("bind", 53), ("unbound", 59),
            ("proxy", 62), ("_pflogd", 64), ("_dhcp", 65), ("uucp", 66), ("pop", 68), ("www", 80), ("ntpd", 123),
            ("nobody", 65534),
        })
            h.Users[name] = id;
        foreach (var (name, id) in new (string, uint)[]
        {
            ("wheel", 0), ("daemon", 1), ("kmem", 2), ("sys", 3), ("tty", 4), ("operator", 5), ("mail", 6), ("bin", 7),
            ("news", 8), ("man", 9), ("games", 13), ("staff", 20), ("sshd", 22), ("smmsp", 25), ("mailnull", 26),
            ("guest", 31), ("bind", 53), ("unbound", 59), ("proxy", 62), ("authpf", 63), ("_pflogd", 64), ("_dhcp", 65),
            ("uucp", 66), ("dialer", 68), ("network", 69), ("www", 80), ("ntpd", 123), ("nogroup", 65533), ("nobody", 65534),
        })
            h.Groups[name] = id;
        return h;
    }

    public static HostModel CreateDefault()
    {
        var h = new HostModel();
        h.Interfaces.Add(new HostInterface("lo0",
        [
            // getifaddrs() order on the BSDs: ::1, fe80::1%lo0, then 127.0.0.1 (pfctl expands `lo0` in this order).
            new InterfaceAddress(Address.Parse("::1"), 128),
            new InterfaceAddress(Address.Parse("fe80::1"), 64),
            new InterfaceAddress(Address.Parse("127.0.0.1"), 8),
        ], ["lo"]));
        h.Hosts["localhost"] = [Address.Parse("127.0.0.1"), Address.Parse("::1")];
        foreach (var (name, id) in new (string, uint)[] { ("root", 0), ("daemon", 1), ("operator", 2), ("bin", 3), ("build", 21), ("sshd", 27), ("_portmap", 28), ("_identd", 29), ("_rstatd", 30), ("_rusersd", 32), ("_fingerd", 33), ("www", 67), ("_pflogd", 74), ("nobody", 32767) })
            h.Users[name] = id;
        foreach (var (name, id) in new (string, uint)[] { ("wheel", 0), ("daemon", 1), ("kmem", 2), ("sys", 3), ("tty", 4), ("operator", 5), ("bin", 7), ("wsrc", 9), ("users", 10), ("auth", 11), ("games", 13), ("staff", 20), ("wobj", 21), ("sshd", 27), ("guest", 31), ("utmp", 45), ("crontab", 66), ("www", 67), ("network", 69), ("authpf", 72), ("_pflogd", 74), ("dialer", 117), ("nogroup", 32766), ("nobody", 32767) })
            h.Groups[name] = id;
        return h;
    }
}
