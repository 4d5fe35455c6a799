using PfSim.Rules;

namespace PfSim.Analysis;

/// <summary>
/// The packet headers one or more rulesets can tell apart: the interfaces they name (each name, and one
/// interface none of them names), both directions, both families, every protocol, addresses, ports,
/// TCP flags, ICMP type and code. Fields a protocol does not have are pinned to 0 (ports outside
/// TCP/UDP, flags outside TCP, type/code outside ICMP), so every header is one point.
/// </summary>
public sealed class HeaderSpace
{
    /// <summary>The interface that stands for every interface no ruleset names.</summary>
    public const string OtherInterface = "(other)";

    public static readonly UInt128 V4Max = uint.MaxValue;
    public static readonly ByteSet TcpUdp = ByteSet.Of(6, 17);
    public static readonly ByteSet IcmpProtos = ByteSet.Of(1, 58);

    private readonly List<string> interfaces;

    public HeaderSpace(IEnumerable<string> interfaceNames, HostModel host)
    {
        Host = host;
        interfaces = interfaceNames.Where(n => n != OtherInterface).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        interfaces.Add(OtherInterface);
        if (interfaces.Count > 256) throw new ArgumentException("more than 255 interface names in the rulesets");
        AllInterfaces = ByteSet.Range(0, interfaces.Count - 1);
        Universe = BuildUniverse();
    }

    /// <summary>A space for the given configurations: the interfaces their rules, tables and <c>set skip</c> name, and their host's interfaces.</summary>
    public static HeaderSpace For(params PfConfig[] configs)
    {
        var names = new List<string>();
        foreach (var c in configs)
        {
            names.AddRange(c.Host.Interfaces.Select(i => i.Name));
            names.AddRange(c.Options.Skip);
            foreach (var r in RulesetWalk.AllRules(c.Main))
                if (r.Interface is { } n && n != "any") names.Add(n);
        }
        return new HeaderSpace(names, configs.Length > 0 ? configs[0].Host : HostModel.Default);
    }

    public HostModel Host { get; }
    public IReadOnlyList<string> Interfaces => interfaces;
    public ByteSet AllInterfaces { get; }
    /// <summary>Every header, as disjoint boxes per family and protocol class.</summary>
    public IReadOnlyList<Box> Universe { get; }

    public int InterfaceIndex(string name)
    {
        int i = interfaces.IndexOf(name);
        return i >= 0 ? i : interfaces.Count - 1;
    }

    /// <summary>The interfaces (as a set of indices) that a rule's <c>on NAME</c> matches: the name and the members of a group of that name.</summary>
    public ByteSet InterfacesMatching(string nameOrGroup)
    {
        if (nameOrGroup == "any") return AllInterfaces;
        var s = ByteSet.Empty;
        for (int i = 0; i < interfaces.Count - 1; i++)
            if (Host.InterfaceMatches(interfaces[i], nameOrGroup)) s = s.With(i);
        return s;
    }

    /// <summary>A box over every field, with the given sets and ranges narrowed (no protocol pinning).</summary>
    public Box Full() => new(
        [AllInterfaces, ByteSet.Of(1, 2), ByteSet.Of(4, 6), ByteSet.All, ByteSet.All, ByteSet.All, ByteSet.All],
        [UInt128.Zero, UInt128.Zero, UInt128.Zero, UInt128.Zero],
        [UInt128.MaxValue, UInt128.MaxValue, 65535, 65535]);

    private List<Box> BuildUniverse()
    {
        var result = new List<Box>();
        foreach (int af in new[] { 4, 6 })
        {
            // ICMP of the other family (proto 58 over IPv4, 1 over IPv6) has no header pf decodes: type and code read 0.
            int icmp = af == 4 ? 1 : 58;
            var otherProtos = ByteSet.All.Except(ByteSet.Of(6, 17, icmp));
            UInt128 max = af == 4 ? V4Max : UInt128.MaxValue;
            var b = Full().WithSet(Box.Af, ByteSet.Of(af)).WithRange(Box.Src, 0, max).WithRange(Box.Dst, 0, max);
            var noIcmp = b.WithSet(Box.IcmpType, ByteSet.Of(0)).WithSet(Box.IcmpCode, ByteSet.Of(0));
            var noPorts = b.WithRange(Box.Sport, 0, 0).WithRange(Box.Dport, 0, 0).WithSet(Box.Flags, ByteSet.Of(0));
            result.Add(noIcmp.WithSet(Box.Proto, ByteSet.Of(6)));
            result.Add(noIcmp.WithSet(Box.Proto, ByteSet.Of(17)).WithSet(Box.Flags, ByteSet.Of(0)));
            result.Add(noPorts.WithSet(Box.Proto, ByteSet.Of(icmp)));
            result.Add(noPorts.WithSet(Box.Proto, otherProtos).WithSet(Box.IcmpType, ByteSet.Of(0)).WithSet(Box.IcmpCode, ByteSet.Of(0)));
        }
        return result;
    }

    /// <summary>The universe narrowed to one box's constraints.</summary>
    public List<Box> Restrict(Box constraint)
    {
        var r = new List<Box>();
        foreach (var u in Universe)
            if (u.Intersect(constraint) is { } b) r.Add(b);
        return r;
    }
}

/// <summary>Set operations on regions: lists of disjoint boxes.</summary>
public static class Region
{
    public static List<Box> Intersect(IReadOnlyList<Box> a, IReadOnlyList<Box> b)
    {
        var r = new List<Box>();
        foreach (var x in a)
            foreach (var y in b)
                if (x.Intersect(y) is { } z) r.Add(z);
        return r;
    }

    public static List<Box> Intersect(IReadOnlyList<Box> a, Box b)
    {
        var r = new List<Box>();
        foreach (var x in a)
            if (x.Intersect(b) is { } z) r.Add(z);
        return r;
    }

    public static List<Box> Subtract(IReadOnlyList<Box> a, IReadOnlyList<Box> b)
    {
        var current = new List<Box>(a);
        var next = new List<Box>();
        foreach (var y in b)
        {
            next.Clear();
            foreach (var x in current) x.SubtractInto(y, next);
            (current, next) = (next, current);
        }
        return current;
    }

    public static List<Box> Union(IReadOnlyList<Box> a, IReadOnlyList<Box> b)
    {
        var r = new List<Box>(a);
        r.AddRange(Subtract(b, a));
        return r;
    }

    public static bool Overlaps(IReadOnlyList<Box> a, Box b)
    {
        foreach (var x in a) if (x.Overlaps(b)) return true;
        return false;
    }

    public static bool IsEmpty(IReadOnlyList<Box> a) => a.Count == 0;
}
