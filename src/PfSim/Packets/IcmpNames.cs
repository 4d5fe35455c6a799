using PfSim.Syntax;

namespace PfSim.Packets;

/// <summary>
/// ICMP and ICMPv6 type and code names for packet scripts and packet descriptions: numbers or the
/// names pf.conf uses. The names themselves live in one place, pfctl's tables in <see cref="Names"/>.
/// </summary>
public static class IcmpNames
{
    public static bool TryType(string text, bool v6, out byte type) =>
        byte.TryParse(text, out type) || Names.TryIcmpType(text, v6, out type);

    public static bool TryCode(string text, bool v6, byte type, out byte code) =>
        byte.TryParse(text, out code) || Names.TryIcmpCode(type, text, v6, out code);

    /// <summary>The name pfctl prints for a type, or its number.</summary>
    public static string TypeName(byte type, bool v6) => Names.IcmpTypeName(type, v6) ?? type.ToString();

    /// <summary>The name pfctl prints for a code of a type, or its number.</summary>
    public static string CodeName(byte type, byte code, bool v6) => Names.IcmpCodeName(type, code, v6) ?? code.ToString();
}
