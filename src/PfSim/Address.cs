using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PfSim;

/// <summary>Address family as pf.conf names it: unset (both), <c>inet</c> or <c>inet6</c>.</summary>
public enum Af : byte
{
    Any = 0,
    Inet = 4,
    Inet6 = 6,
}

/// <summary>The direction of one pf pass over a packet (values as pf's PF_INOUT/PF_IN/PF_OUT/PF_FWD).</summary>
public enum Direction : byte
{
    InOut = 0,
    In = 1,
    Out = 2,
    Fwd = 3,
}

/// <summary>
/// An IPv4 or IPv6 address as a 128-bit value, compared and masked without allocation.
/// IPv4 addresses live in the low 32 bits of <see cref="Lo"/>.
/// </summary>
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    public readonly ulong Hi;
    public readonly ulong Lo;
    public readonly Af Family;

    public Address(Af family, ulong hi, ulong lo)
    {
        Family = family;
        Hi = family == Af.Inet ? 0 : hi;
        Lo = family == Af.Inet ? lo & 0xFFFF_FFFFUL : lo;
    }

    /// <summary>An IPv4 address from its 32-bit value in host order (0x0A000001 is 10.0.0.1).</summary>
    public static Address V4(uint value) => new(Af.Inet, 0, value);

    /// <summary>An IPv4 address from four octets.</summary>
    public static Address V4(byte a, byte b, byte c, byte d) => V4((uint)(a << 24 | b << 16 | c << 8 | d));

    /// <summary>Reads 4 (IPv4) or 16 (IPv6) bytes in network order.</summary>
    public static Address FromBytes(ReadOnlySpan<byte> bytes) => bytes.Length switch
    {
        4 => V4(BinaryPrimitives.ReadUInt32BigEndian(bytes)),
        16 => new Address(Af.Inet6, BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..])),
        _ => throw new ArgumentException("an address is 4 or 16 bytes", nameof(bytes)),
    };

    public bool IsV4 => Family == Af.Inet;
    public bool IsV6 => Family == Af.Inet6;
    public bool IsValid => Family != Af.Any;

    /// <summary>The IPv4 value in host order.</summary>
    public uint V4Value => (uint)Lo;

    /// <summary>Width in bits: 32 or 128.</summary>
    public int Bits => Family == Af.Inet ? 32 : 128;

    /// <summary>Writes the address in network order (4 or 16 bytes).</summary>
    public int WriteTo(Span<byte> dest)
    {
        if (Family == Af.Inet) { BinaryPrimitives.WriteUInt32BigEndian(dest, (uint)Lo); return 4; }
        BinaryPrimitives.WriteUInt64BigEndian(dest, Hi);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], Lo);
        return 16;
    }

    /// <summary>This address with all bits after the first <paramref name="prefix"/> cleared.</summary>
    public Address Mask(int prefix)
    {
        if (Family == Af.Inet)
        {
            uint m = prefix <= 0 ? 0u : prefix >= 32 ? uint.MaxValue : uint.MaxValue << (32 - prefix);
            return V4((uint)Lo & m);
        }
        var (mh, ml) = Mask128(prefix);
        return new Address(Af.Inet6, Hi & mh, Lo & ml);
    }

    /// <summary>This address with all bits after the first <paramref name="prefix"/> set (the last address of the network).</summary>
    public Address Last(int prefix)
    {
        if (Family == Af.Inet)
        {
            uint m = prefix <= 0 ? 0u : prefix >= 32 ? uint.MaxValue : uint.MaxValue << (32 - prefix);
            return V4((uint)Lo | ~m);
        }
        var (mh, ml) = Mask128(prefix);
        return new Address(Af.Inet6, Hi | ~mh, Lo | ~ml);
    }

    /// <summary>True when the first <paramref name="prefix"/> bits equal those of <paramref name="network"/> (same family).</summary>
    public bool InNetwork(in Address network, int prefix)
    {
        if (Family != network.Family) return false;
        if (Family == Af.Inet)
        {
            uint m = prefix <= 0 ? 0u : prefix >= 32 ? uint.MaxValue : uint.MaxValue << (32 - prefix);
            return (((uint)Lo ^ (uint)network.Lo) & m) == 0;
        }
        var (mh, ml) = Mask128(prefix);
        return ((Hi ^ network.Hi) & mh) == 0 && ((Lo ^ network.Lo) & ml) == 0;
    }

    /// <summary>The 128-bit netmask of a prefix as two halves.</summary>
    public static (ulong Hi, ulong Lo) Mask128(int prefix)
    {
        if (prefix <= 0) return (0, 0);
        if (prefix >= 128) return (ulong.MaxValue, ulong.MaxValue);
        if (prefix <= 64) return (prefix == 64 ? ulong.MaxValue : ulong.MaxValue << (64 - prefix), 0);
        return (ulong.MaxValue, ulong.MaxValue << (128 - prefix));
    }

    /// <summary>The netmask of <paramref name="prefix"/> bits in the given family.</summary>
    public static Address Netmask(Af family, int prefix)
    {
        if (family == Af.Inet) return V4(prefix <= 0 ? 0u : prefix >= 32 ? uint.MaxValue : uint.MaxValue << (32 - prefix));
        var (h, l) = Mask128(prefix);
        return new Address(Af.Inet6, h, l);
    }

    /// <summary>If this address is a contiguous netmask, its prefix length; otherwise -1.</summary>
    public int PrefixLengthOfMask()
    {
        int n = 0;
        bool seenZero = false;
        for (int i = Bits - 1; i >= 0; i--)
        {
            bool bit = Bit(Bits - 1 - i);
            if (bit) { if (seenZero) return -1; n++; }
            else seenZero = true;
        }
        return n;
    }

    /// <summary>Bit <paramref name="index"/> counted from the most significant (0).</summary>
    public bool Bit(int index)
    {
        if (Family == Af.Inet) return ((Lo >> (31 - index)) & 1) != 0;
        return index < 64 ? ((Hi >> (63 - index)) & 1) != 0 : ((Lo >> (127 - index)) & 1) != 0;
    }

    /// <summary>The next address (wraps at the top).</summary>
    public Address Increment()
    {
        if (Family == Af.Inet) return V4((uint)Lo + 1);
        ulong lo = Lo + 1;
        return new Address(Af.Inet6, lo == 0 ? Hi + 1 : Hi, lo);
    }

    /// <summary>The previous address (wraps at the bottom).</summary>
    public Address Decrement()
    {
        if (Family == Af.Inet) return V4((uint)Lo - 1);
        return new Address(Af.Inet6, Lo == 0 ? Hi - 1 : Hi, Lo - 1);
    }

    public static bool TryParse(string text, out Address address)
    {
        address = default;
        if (string.IsNullOrEmpty(text)) return false;
        // IPAddress.TryParse accepts forms pf does not ("10", "10.1"); pf's inet_pton wants four parts for IPv4.
        if (text.Contains(':'))
        {
            if (text.Contains('%')) return false;
            if (!IPAddress.TryParse(text, out var ip6) || ip6.AddressFamily != AddressFamily.InterNetworkV6) return false;
            Span<byte> b = stackalloc byte[16];
            ip6.TryWriteBytes(b, out _);
            address = FromBytes(b);
            return true;
        }
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        uint v = 0;
        foreach (var p in parts)
        {
            if (p.Length == 0 || p.Length > 3 || !p.All(char.IsAsciiDigit)) return false;
            int n = int.Parse(p);
            if (n > 255) return false;
            v = v << 8 | (uint)n;
        }
        address = V4(v);
        return true;
    }

    public static Address Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"not an IP address: '{text}'");

    /// <summary>From a System.Net address (for callers outside the hot path).</summary>
    public static Address From(IPAddress ip)
    {
        Span<byte> b = stackalloc byte[16];
        ip.TryWriteBytes(b, out int n);
        return FromBytes(b[..n]);
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        int n = WriteTo(b);
        return new IPAddress(b[..n]);
    }

    /// <summary>Printed as pfctl prints it (dotted quad, or RFC 5952 IPv6 as inet_ntop does).</summary>
    public override string ToString()
    {
        if (Family == Af.Inet)
        {
            uint v = (uint)Lo;
            return $"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}";
        }
        if (Family == Af.Any) return "?";
        return Ipv6Text.Format(Hi, Lo);
    }

    public bool Equals(Address other) => Family == other.Family && Hi == other.Hi && Lo == other.Lo;
    public override bool Equals(object? obj) => obj is Address a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(Hi, Lo, Family);
    public static bool operator ==(Address a, Address b) => a.Equals(b);
    public static bool operator !=(Address a, Address b) => !a.Equals(b);

    /// <summary>Orders by family, then numerically.</summary>
    public int CompareTo(Address other)
    {
        int c = Family.CompareTo(other.Family);
        if (c != 0) return c;
        c = Hi.CompareTo(other.Hi);
        return c != 0 ? c : Lo.CompareTo(other.Lo);
    }

    public static bool operator <(Address a, Address b) => a.CompareTo(b) < 0;
    public static bool operator >(Address a, Address b) => a.CompareTo(b) > 0;
    public static bool operator <=(Address a, Address b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Address a, Address b) => a.CompareTo(b) >= 0;
}

/// <summary>IPv6 text as inet_ntop writes it (RFC 5952: lowercase, longest zero run as "::", IPv4-mapped tail).</summary>
internal static class Ipv6Text
{
    public static string Format(ulong hi, ulong lo)
    {
        Span<ushort> w = stackalloc ushort[8];
        for (int i = 0; i < 4; i++) w[i] = (ushort)(hi >> (48 - 16 * i));
        for (int i = 0; i < 4; i++) w[4 + i] = (ushort)(lo >> (48 - 16 * i));
        int bestStart = -1, bestLen = 0;
        for (int i = 0; i < 8;)
        {
            if (w[i] != 0) { i++; continue; }
            int j = i;
            while (j < 8 && w[j] == 0) j++;
            if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
            i = j;
        }
        if (bestLen < 2) bestStart = -1;
        // inet_ntop prints ::a.b.c.d and ::ffff:a.b.c.d with a dotted tail.
        bool v4Tail = bestStart == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff));
        var sb = new System.Text.StringBuilder(40);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                sb.Append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            if (v4Tail && i == 6)
            {
                sb.Append($"{w[6] >> 8}.{w[6] & 255}.{w[7] >> 8}.{w[7] & 255}");
                break;
            }
            sb.Append(w[i].ToString("x"));
            if (i < 7) sb.Append(':');
        }
        return sb.ToString();
    }
}
