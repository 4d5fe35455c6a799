using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace PfSim.Captures;

/// <summary>Which struct pfloghdr a capture carries, told apart by its length byte (pf-semantics.md §6.2).</summary>
public enum PflogLayout : byte
{
    /// <summary>length 45, header 48: OpenBSD ≈3.4–3.7, no uid/pid.</summary>
    Old48,
    /// <summary>length 61, header 64: FreeBSD before ridentifier, NetBSD, macOS, OpenBSD ≈3.8–4.x.</summary>
    FreeBsd64,
    /// <summary>length 69, header 72: current FreeBSD (ridentifier).</summary>
    FreeBsd72,
    /// <summary>length 100, header 100: current OpenBSD (rewritten addresses).</summary>
    OpenBsd100,
    /// <summary>any other length ≥ 45: the fields that fit are decoded.</summary>
    Other,
}

/// <summary>16 bytes held inline (interface and anchor names, addresses), so a header is a plain value.</summary>
[InlineArray(16)]
public struct Bytes16
{
    private byte _b0;

    /// <summary>The bytes up to the first NUL, as ASCII (allocates: for display).</summary>
    public readonly string ToText()
    {
        ReadOnlySpan<byte> s = this;
        int n = s.IndexOf((byte)0);
        return Encoding.ASCII.GetString(n < 0 ? s : s[..n]);
    }

    public static Bytes16 FromText(string? text)
    {
        var b = new Bytes16();
        if (!string.IsNullOrEmpty(text)) Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, 15)), b);
        return b;
    }
}

/// <summary>
/// A decoded pfloghdr (OpenBSD if_pflog.h, FreeBSD if_pflog.h). rulenr, subrulenr, ridentifier and the
/// ports are big-endian on the wire; uid/pid/rule_uid/rule_pid are in the logging host's byte order.
/// </summary>
public struct PflogHeader
{
    public const uint NoRule = 0xFFFF_FFFF;
    public const uint NoUid = 0xFFFF_FFFF;
    /// <summary>pf's NO_PID: what pid holds when the socket lookup was not done.</summary>
    public const int NoPid = 100000;
    public const int MinLength = 45;

    public byte Length;
    /// <summary>Address family of the logged packet as the logging system numbers it (2; 24/28/30 for inet6).</summary>
    public byte AddressFamily;
    public byte Action;
    public byte Reason;
    public Bytes16 IfName;
    /// <summary>The anchor's name (last path component), empty for the main ruleset.</summary>
    public Bytes16 Ruleset;
    public uint RuleNumber;
    public uint SubruleNumber;
    public uint Uid;
    public int Pid;
    public uint RuleUid;
    public int RulePid;
    public Direction Dir;
    public byte Rewritten;
    public byte NewAddressFamily;
    public Bytes16 SourceAddress;
    public Bytes16 DestinationAddress;
    public ushort SourcePort;
    public ushort DestinationPort;
    public uint RuleIdentifier;
    public PflogLayout Layout;

    /// <summary>Bytes the header occupies before the IP packet: roundup(length, 4), as both tcpdumps skip.</summary>
    public readonly int HeaderBytes => (Length + 3) & ~3;

    public readonly bool IsDefaultRule => RuleNumber == NoRule;
    public readonly bool InAnchor => Ruleset[0] != 0;
    public readonly string IfNameText => IfName.ToText();
    public readonly string AnchorText => Ruleset.ToText();
    public readonly string ActionName => PflogNames.Action(Action);
    public readonly string ReasonName => PflogNames.Reason(Reason);

    /// <summary>
    /// The rule number as pfctl -vvsr and PfSim's verdicts show it: the rule inside the anchor when the
    /// packet was logged by an anchor's rule, null for the default rule.
    /// </summary>
    public readonly int? VerdictRule => InAnchor ? (SubruleNumber == NoRule ? null : (int)SubruleNumber)
                                                 : (IsDefaultRule ? null : (int)RuleNumber);

    /// <summary>
    /// Decodes a pfloghdr at the start of <paramref name="frame"/>. False when it is shorter than its length byte
    /// says or the length is below 45. <paramref name="hostLittleEndian"/> is the byte order of the host that
    /// logged (the capture file's): uid and pid are in it.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, bool hostLittleEndian, out PflogHeader h, out string? error)
    {
        h = default;
        error = null;
        if (frame.Length < 1) { error = "pflog header missing"; return false; }
        int len = frame[0];
        if (len < MinLength) { error = $"pflog header length {len} is below the minimum of {MinLength}"; return false; }
        int hdr = (len + 3) & ~3;
        if (frame.Length < hdr) { error = $"pflog header of {hdr} bytes truncated to {frame.Length}"; return false; }
        h.Length = (byte)len;
        h.AddressFamily = frame[1];
        h.Action = frame[2];
        h.Reason = frame[3];
        frame.Slice(4, 16).CopyTo(h.IfName);
        frame.Slice(20, 16).CopyTo(h.Ruleset);
        h.RuleNumber = BinaryPrimitives.ReadUInt32BigEndian(frame[36..]);
        h.SubruleNumber = BinaryPrimitives.ReadUInt32BigEndian(frame[40..]);
        h.Uid = NoUid;
        h.Pid = NoPid;
        h.Layout = len switch { 45 => PflogLayout.Old48, 61 => PflogLayout.FreeBsd64, 69 => PflogLayout.FreeBsd72, 100 => PflogLayout.OpenBsd100, _ => PflogLayout.Other };
        if (len < 60)
        {
            // length, af, action, reason, ifname, ruleset, rulenr, subrulenr, dir: the pre-uid layout.
            h.Dir = (Direction)frame[44];
            h.NewAddressFamily = h.AddressFamily;
            return true;
        }
        h.Uid = ReadHost32(frame[44..], hostLittleEndian);
        h.Pid = (int)ReadHost32(frame[48..], hostLittleEndian);
        h.RuleUid = ReadHost32(frame[52..], hostLittleEndian);
        h.RulePid = (int)ReadHost32(frame[56..], hostLittleEndian);
        // Only the fields that end within the length byte's count are there (a length of 60 has no dir).
        h.Dir = len > 60 ? (Direction)frame[60] : Direction.InOut;
        h.NewAddressFamily = h.AddressFamily;
        if (len == 69)
        {
            h.RuleIdentifier = BinaryPrimitives.ReadUInt32BigEndian(frame[64..]);
        }
        else if (len >= 100)
        {
            h.Rewritten = frame[61];
            h.NewAddressFamily = frame[62];
            frame.Slice(64, 16).CopyTo(h.SourceAddress);
            frame.Slice(80, 16).CopyTo(h.DestinationAddress);
            h.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(frame[96..]);
            h.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(frame[98..]);
        }
        return true;
    }

    /// <summary>Writes this header in <paramref name="layout"/> (padded to a multiple of 4); returns the bytes written.</summary>
    public readonly int Write(Span<byte> dest, PflogLayout layout, bool hostLittleEndian = true)
    {
        int len = layout switch
        {
            PflogLayout.OpenBsd100 => 100,
            PflogLayout.FreeBsd72 => 69,
            PflogLayout.FreeBsd64 => 61,
            PflogLayout.Old48 => 45,
            _ => throw new ArgumentOutOfRangeException(nameof(layout), "choose a concrete pflog layout"),
        };
        int size = (len + 3) & ~3;
        var d = dest[..size];
        d.Clear();
        d[0] = (byte)len;
        d[1] = AddressFamily;
        d[2] = Action;
        d[3] = Reason;
        ((ReadOnlySpan<byte>)IfName).CopyTo(d[4..]);
        ((ReadOnlySpan<byte>)Ruleset).CopyTo(d[20..]);
        d[19] = 0; d[35] = 0;  // names stay NUL-terminated, as the kernel's strlcpy leaves them
        BinaryPrimitives.WriteUInt32BigEndian(d[36..], RuleNumber);
        BinaryPrimitives.WriteUInt32BigEndian(d[40..], SubruleNumber);
        if (len == 45) { d[44] = (byte)Dir; return size; }
        WriteHost32(d[44..], Uid, hostLittleEndian);
        WriteHost32(d[48..], (uint)Pid, hostLittleEndian);
        WriteHost32(d[52..], RuleUid, hostLittleEndian);
        WriteHost32(d[56..], (uint)RulePid, hostLittleEndian);
        d[60] = (byte)Dir;
        if (len == 69)
        {
            BinaryPrimitives.WriteUInt32BigEndian(d[64..], RuleIdentifier);
        }
        else if (len == 100)
        {
            d[61] = Rewritten;
            d[62] = NewAddressFamily;
            ((ReadOnlySpan<byte>)SourceAddress).CopyTo(d[64..]);
            ((ReadOnlySpan<byte>)DestinationAddress).CopyTo(d[80..]);
            BinaryPrimitives.WriteUInt16BigEndian(d[96..], SourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(d[98..], DestinationPort);
        }
        return size;
    }

    /// <summary>The header size a layout writes.</summary>
    public static int SizeOf(PflogLayout layout) => layout switch
    {
        PflogLayout.OpenBsd100 => 100,
        PflogLayout.FreeBsd72 => 72,
        PflogLayout.FreeBsd64 => 64,
        PflogLayout.Old48 => 48,
        _ => throw new ArgumentOutOfRangeException(nameof(layout)),
    };

    /// <summary>The AF_INET6 value the system of a layout writes (OpenBSD 24, FreeBSD 28).</summary>
    public static byte Inet6Of(PflogLayout layout) => layout is PflogLayout.FreeBsd72 or PflogLayout.FreeBsd64 ? (byte)28 : (byte)24;

    /// <summary>True when <paramref name="af"/> is AF_INET6 on any BSD (24 OpenBSD/NetBSD, 28 FreeBSD/DragonFly, 30 Darwin).</summary>
    public static bool IsInet6(byte af) => af is 24 or 28 or 30;

    /// <summary>The rewritten (post-translation) source address, when the layout carries it.</summary>
    public readonly Address? TranslatedSource => AddressOf(SourceAddress);
    public readonly Address? TranslatedDestination => AddressOf(DestinationAddress);

    private readonly Address? AddressOf(Bytes16 raw)
    {
        if (Layout != PflogLayout.OpenBsd100 && Length < 100) return null;
        ReadOnlySpan<byte> s = raw;
        if (NewAddressFamily == 2) return Address.FromBytes(s[..4]);
        if (IsInet6(NewAddressFamily)) return Address.FromBytes(s);
        return null;
    }

    private static uint ReadHost32(ReadOnlySpan<byte> s, bool le) =>
        le ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);

    private static void WriteHost32(Span<byte> s, uint v, bool le)
    {
        if (le) BinaryPrimitives.WriteUInt32LittleEndian(s, v);
        else BinaryPrimitives.WriteUInt32BigEndian(s, v);
    }
}
