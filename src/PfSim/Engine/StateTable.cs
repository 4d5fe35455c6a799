using System.Numerics;
using System.Runtime.CompilerServices;

namespace PfSim.Engine;

/// <summary>
/// The state table: states by key, wire and stack side, as pf_find_state and pf_state_insert keep them.
/// A translated state has an entry for each of its two keys; states of several interfaces on one key simply have
/// several entries.
/// </summary>
/// <remarks>
/// Open addressing over 64-byte buckets of seven entries: one word of seven tag bytes (seven bits of the key's hash
/// and whether the entry is for the wire or the stack key) and the bucket's overflow count, then seven state references.
/// A lookup reads one bucket and opens only the states whose tag matches; it moves to the next bucket only while the
/// overflow count says an entry that hashed here was placed further on (F14's scheme: no tombstones, removal exact).
/// At most 7/8 of the entries are used and the table grows by half, so an entry costs 10.4 to 15.7 bytes
/// (64 / 7 / load); it halves when under a quarter of that is used.
/// </remarks>
public sealed class StateTable
{
    private const int Ways = 7;
    private const int MinBuckets = 8;
    private const ulong Ones = 0x0001_0101_0101_0101UL, High = 0x0080_8080_8080_8080UL, Low7 = 0x7F7F_7F7F_7F7F_7F7FUL;
    private const int OverflowShift = 56;
    private const uint WireKind = 0x80;

    [InlineArray(Ways)]
    private struct EntryRefs
    {
        private State? _first;
    }

    private struct Bucket
    {
        /// <summary>Bytes 0–6: the tags of the entries (0 = free); byte 7: how many entries placed past this bucket hashed to it or before.</summary>
        public ulong Control;
        public EntryRefs States;
    }

    private Bucket[] _buckets = new Bucket[MinBuckets];
    private int _entries;
    private uint _nextId = 1;
    private bool _purging;

    /// <summary>Live states.</summary>
    public int Count { get; private set; }

    /// <summary>Managed bytes the table itself holds (its buckets), for the memory report.</summary>
    public long BucketBytes => (long)_buckets.Length * Unsafe.SizeOf<Bucket>();

    /// <summary>Entries in use (one per untranslated state, two per translated one) and entries the buckets hold.</summary>
    public (int Used, int Capacity) Entries => (_entries, _buckets.Length * Ways);

    /// <summary>Every live state, in creation order (allocates: for printing, not for the packet path).</summary>
    public IEnumerable<State> States
    {
        get
        {
            var list = new List<State>(Count);
            foreach (ref var b in _buckets.AsSpan())
                for (int j = 0; j < Ways; j++)
                    if ((b.Control >> (j * 8) & WireKind) != 0) list.Add(b.States[j]!);
            list.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            return list;
        }
    }

    /// <summary>
    /// pf_find_state: the state on <paramref name="key"/> usable by a packet in <paramref name="dir"/> on <paramref name="ifId"/>:
    /// bound to that interface or floating, and with translation inbound packets on the wire key, outbound on the stack key.
    /// When several are usable, the first in pf's per-key list: pf puts if-bound states at its head and floating ones at its
    /// tail, so the newest state bound to the interface, else the oldest floating one.
    /// </summary>
    public State? Find(in StateKey key, Direction dir, int ifId)
    {
        uint h = (uint)key.GetHashCode();
        var buckets = _buckets;
        uint b = Home(h, buckets.Length);
        ulong wireTag = Ones * WireTag(h);
        // Inbound packets use wire keys only; outbound ones the stack keys of translated states and the (single) key of the others.
        ulong stackTag = dir == Direction.In ? wireTag : Ones * StackTag(h);
        State? bound = null, floating = null;
        while (true)
        {
            ref var bucket = ref buckets[b];
            ulong control = bucket.Control;
            for (ulong m = Matches(control, wireTag) | Matches(control, stackTag); m != 0; m &= m - 1)
            {
                int j = BitOperations.TrailingZeroCount(m) >> 3;
                var s = bucket.States[j]!;
                bool wire = (control >> (j * 8) & WireKind) != 0;
                if (!(wire ? s.WireEquals(key) : s.StackEquals(key))) continue;
                if (wire && s.IsTranslated && dir != Direction.In) continue;
                int on = s.InterfaceId;
                if (on == ifId && on >= 0) { if (bound is null || Newer(s, bound)) bound = s; }
                else if (on < 0 && (floating is null || Newer(floating, s))) floating = s;
            }
            if (control >> OverflowShift == 0) return bound ?? floating;
            if (++b == buckets.Length) b = 0;
        }
    }

    // Ids count up from insertion (serial arithmetic, so their wrap after 4G insertions does not reorder live states).
    private static bool Newer(State a, State b) => (int)(a.Id - b.Id) > 0;

    /// <summary>
    /// pf_state_insert: adds the state under its keys; false when it collides (pf_state_key_attach, counted as state-insert):
    /// a state on one of its keys has the same interface binding and direction. OpenBSD keeps one list of states per key;
    /// FreeBSD (<paramref name="keyRolesApart"/>) keeps a key's states as wire and stack lists apart and checks only the list
    /// of the role the key takes in the new state (the stack key of an untranslated state is its wire key, checked once).
    /// </summary>
    public bool Insert(State s, bool keyRolesApart = false)
    {
        var wire = s.Wire;
        uint hw = (uint)wire.GetHashCode(), hs = 0;
        if (Collides(wire, hw, s, keyRolesApart ? Role.Wire : Role.Any)) return false;
        bool translated = s.IsTranslated;
        if (translated)
        {
            var stack = s.Stack;
            hs = (uint)stack.GetHashCode();
            if (Collides(stack, hs, s, keyRolesApart ? Role.Stack : Role.Any)) return false;
        }
        int needed = _entries + (translated ? 2 : 1);
        if (needed > MaxEntries(_buckets.Length)) Rehash(Grown(_buckets.Length, needed));
        Place(_buckets, hw, WireTag(hw), s);
        if (translated) Place(_buckets, hs, StackTag(hs), s);
        _entries = needed;
        s.Id = _nextId++;
        s.Unlinked = false;
        Count++;
        return true;
    }

    private enum Role : byte { Any, Wire, Stack }

    /// <summary>A state on <paramref name="key"/> (in <paramref name="role"/>) with the new state's binding and direction.</summary>
    private bool Collides(in StateKey key, uint h, State s, Role role)
    {
        var buckets = _buckets;
        uint b = Home(h, buckets.Length);
        ulong wireTag = Ones * WireTag(h), stackTag = role == Role.Wire ? wireTag : Ones * StackTag(h);
        while (true)
        {
            ref var bucket = ref buckets[b];
            ulong control = bucket.Control;
            for (ulong m = Matches(control, wireTag) | Matches(control, stackTag); m != 0; m &= m - 1)
            {
                int j = BitOperations.TrailingZeroCount(m) >> 3;
                var o = bucket.States[j]!;
                bool wire = (control >> (j * 8) & WireKind) != 0;
                // A wire entry of an untranslated state stands for its stack key as well.
                if (role == Role.Stack && wire && o.IsTranslated) continue;
                if ((wire ? o.WireEquals(key) : o.StackEquals(key)) && o.InterfaceId == s.InterfaceId && o.Direction == s.Direction)
                    return true;
            }
            if (control >> OverflowShift == 0) return false;
            if (++b == buckets.Length) b = 0;
        }
    }

    /// <summary>pf_unlink_state: removes the state from the table.</summary>
    public void Unlink(State s)
    {
        if (s.Unlinked) return;
        s.Unlinked = true;
        var wire = s.Wire;
        uint hw = (uint)wire.GetHashCode();
        Remove(hw, WireTag(hw), s);
        _entries--;
        if (s.IsTranslated)
        {
            var stack = s.Stack;
            uint hs = (uint)stack.GetHashCode();
            Remove(hs, StackTag(hs), s);
            _entries--;
        }
        Count--;
        if (!_purging) ShrinkIfSparse();
    }

    /// <summary>Unlinks every state <paramref name="fw"/> finds expired at <paramref name="now"/>, then shrinks the table if it emptied.</summary>
    internal void RemoveWhere(Firewall fw, double now)
    {
        // Removing only clears entries (nothing moves), so the walk stays valid; shrinking waits until it is over.
        _purging = true;
        try
        {
            var buckets = _buckets;
            for (int i = 0; i < buckets.Length; i++)
                for (int j = 0; j < Ways; j++)
                {
                    if ((buckets[i].Control >> (j * 8) & WireKind) == 0) continue;
                    var s = buckets[i].States[j]!;
                    if (fw.IsExpired(s, now)) fw.RemoveState(s);
                }
        }
        finally { _purging = false; }
        ShrinkIfSparse();
    }

    // The home bucket: the hash's high bits scaled to the bucket count (Lemire's multiply-shift, no power of two needed).
    private static uint Home(uint h, int buckets) => (uint)((ulong)h * (uint)buckets >> 32);

    // Tags from the hash's low 7 bits: wire entries 0x80–0xFF, stack entries 0x01–0x7F (0 marks a free entry).
    private static uint WireTag(uint h) => WireKind | (h & 0x7F);
    private static uint StackTag(uint h) => Math.Max(h & 0x7F, 1);

    /// <summary>0x80 in each of bytes 0–6 of <paramref name="control"/> equal to the repeated tag <paramref name="pattern"/>.</summary>
    private static ulong Matches(ulong control, ulong pattern)
    {
        ulong x = control ^ pattern;
        return ~((x & Low7) + Low7 | x | Low7) & High;
    }

    private static int MaxEntries(int buckets) => buckets * Ways / 8 * 7;

    private static int Grown(int buckets, int needed)
    {
        while (MaxEntries(buckets) < needed) buckets += buckets / 2;
        return buckets;
    }

    private static void Place(Bucket[] buckets, uint h, uint tag, State s)
    {
        uint b = Home(h, buckets.Length);
        while (true)
        {
            ref var bucket = ref buckets[b];
            ulong free = Matches(bucket.Control, 0);
            if (free != 0)
            {
                int j = BitOperations.TrailingZeroCount(free) >> 3;
                bucket.Control |= (ulong)tag << (j * 8);
                bucket.States[j] = s;
                return;
            }
            // Full: the entry goes further on, and this bucket remembers that a lookup must follow (saturating at 255).
            if (bucket.Control >> OverflowShift != 0xFF) bucket.Control += 1UL << OverflowShift;
            if (++b == buckets.Length) b = 0;
        }
    }

    private void Remove(uint h, uint tag, State s)
    {
        var buckets = _buckets;
        uint b = Home(h, buckets.Length);
        while (true)
        {
            ref var bucket = ref buckets[b];
            for (ulong m = Matches(bucket.Control, Ones * tag); m != 0; m &= m - 1)
            {
                int j = BitOperations.TrailingZeroCount(m) >> 3;
                if (!ReferenceEquals(bucket.States[j], s)) continue;
                bucket.Control &= ~(0xFFUL << (j * 8));
                bucket.States[j] = null;
                // Undo the overflow marks its placement left on the buckets it passed (a saturated count stays).
                for (uint p = Home(h, buckets.Length); p != b; p = p + 1 == buckets.Length ? 0 : p + 1)
                    if (buckets[p].Control >> OverflowShift != 0xFF) buckets[p].Control -= 1UL << OverflowShift;
                return;
            }
            if (bucket.Control >> OverflowShift == 0) throw new InvalidOperationException("state table: an entry to remove is missing");
            if (++b == buckets.Length) b = 0;
        }
    }

    private void ShrinkIfSparse()
    {
        int n = _buckets.Length;
        while (n > MinBuckets && _entries < MaxEntries(n) / 4) n = Math.Max(MinBuckets, n / 2);
        if (n != _buckets.Length) Rehash(n);
    }

    private void Rehash(int buckets)
    {
        var old = _buckets;
        var fresh = new Bucket[buckets];
        foreach (ref var bucket in old.AsSpan())
            for (int j = 0; j < Ways; j++)
            {
                if ((bucket.Control >> (j * 8) & 0xFF) == 0) continue;
                var s = bucket.States[j]!;
                bool wire = (bucket.Control >> (j * 8) & WireKind) != 0;
                uint h = (uint)(wire ? s.Wire : s.Stack).GetHashCode();
                Place(fresh, h, wire ? WireTag(h) : StackTag(h), s);
            }
        _buckets = fresh;
    }
}
