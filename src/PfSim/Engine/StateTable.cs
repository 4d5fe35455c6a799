namespace PfSim.Engine;

/// <summary>
/// The state table: states by key, wire and stack side, as pf_find_state and pf_state_insert keep them.
/// An open-addressing hash table of (hash, state) slots; a translated state has a slot for each of its two keys,
/// states of several interfaces on one key simply occupy several slots.
/// </summary>
public sealed class StateTable
{
    private const byte Empty = 0, WireSlot = 1, StackSlot = 2, Tombstone = 3;

    private struct Slot
    {
        public int Hash;
        public byte Kind;
        public State? State;
    }

    private Slot[] _slots = new Slot[64];
    private int _used; // live slots and tombstones
    private uint _nextId = 1;

    /// <summary>Live states.</summary>
    public int Count { get; private set; }

    /// <summary>Every live state, in creation order (allocates: for printing, not for the packet path).</summary>
    public IEnumerable<State> States
    {
        get
        {
            var list = new List<State>(Count);
            foreach (var sl in _slots) if (sl.Kind == WireSlot) list.Add(sl.State!);
            list.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            return list;
        }
    }

    /// <summary>
    /// pf_find_state: the state on <paramref name="key"/> usable by a packet in <paramref name="dir"/> on <paramref name="ifId"/>:
    /// bound to that interface or floating, and (with translation) inbound packets on the wire key, outbound on the stack key.
    /// </summary>
    public State? Find(in StateKey key, Direction dir, int ifId)
    {
        int h = key.GetHashCode();
        var slots = _slots;
        int mask = slots.Length - 1;
        State? floating = null;
        for (int i = h & mask; ; i = (i + 1) & mask)
        {
            ref var sl = ref slots[i];
            if (sl.Kind == Empty) return floating;
            if (sl.Hash != h || sl.Kind == Tombstone) continue;
            var s = sl.State!;
            bool wire = sl.Kind == WireSlot;
            if (!(wire ? s.WireEquals(key) : s.StackEquals(key))) continue;
            if (s.IsTranslated && wire != (dir == Direction.In)) continue;
            if (s.InterfaceId == ifId) return s;
            if (s.InterfaceId < 0) floating ??= s;
        }
    }

    /// <summary>pf_state_insert: adds the state under its keys; false when a state on the same key and interface exists (state-insert).</summary>
    public bool Insert(State s)
    {
        if (Occupied(s.Wire, s.InterfaceId) || (s.IsTranslated && Occupied(s.Stack, s.InterfaceId))) return false;
        if ((_used + 2) * 2 > _slots.Length) Resize(Count * 2 + 2 > _slots.Length / 2 ? _slots.Length * 2 : _slots.Length);
        Add(s.Wire.GetHashCode(), WireSlot, s);
        if (s.IsTranslated) Add(s.Stack.GetHashCode(), StackSlot, s);
        s.Id = _nextId++;
        s.Unlinked = false;
        Count++;
        return true;
    }

    private bool Occupied(in StateKey key, int ifId)
    {
        int h = key.GetHashCode();
        int mask = _slots.Length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask)
        {
            ref var sl = ref _slots[i];
            if (sl.Kind == Empty) return false;
            if (sl.Hash != h || sl.Kind == Tombstone) continue;
            var o = sl.State!;
            if ((sl.Kind == WireSlot ? o.WireEquals(key) : o.StackEquals(key)) && o.InterfaceId == ifId) return true;
        }
    }

    private void Add(int h, byte kind, State s)
    {
        int mask = _slots.Length - 1;
        int i = h & mask;
        while (_slots[i].Kind is WireSlot or StackSlot) i = (i + 1) & mask;
        if (_slots[i].Kind == Empty) _used++;
        _slots[i] = new Slot { Hash = h, Kind = kind, State = s };
    }

    private void Resize(int capacity)
    {
        var old = _slots;
        _slots = new Slot[capacity];
        _used = 0;
        foreach (var sl in old)
            if (sl.Kind is WireSlot or StackSlot) Add(sl.Hash, sl.Kind, sl.State!);
    }

    /// <summary>pf_unlink_state: removes the state from the table.</summary>
    public void Unlink(State s)
    {
        if (s.Unlinked) return;
        s.Unlinked = true;
        Remove(s.Wire.GetHashCode(), s);
        if (s.IsTranslated) Remove(s.Stack.GetHashCode(), s);
        Count--;
    }

    private void Remove(int h, State s)
    {
        int mask = _slots.Length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask)
        {
            ref var sl = ref _slots[i];
            if (sl.Kind == Empty) return;
            if (sl.State == s && sl.Hash == h && sl.Kind != Tombstone)
            {
                sl.Kind = Tombstone;
                sl.State = null;
                return;
            }
        }
    }

    /// <summary>Unlinks every state <paramref name="fw"/> finds expired at <paramref name="now"/>, then drops tombstones if many.</summary>
    internal void RemoveWhere(Firewall fw, double now)
    {
        var slots = _slots;
        for (int i = 0; i < slots.Length; i++)
        {
            if (slots[i].Kind != WireSlot) continue;
            var s = slots[i].State!;
            if (fw.IsExpired(s, now)) fw.RemoveState(s);
        }
        if (_used - Count * 2 > _slots.Length / 4) Resize(_slots.Length);
    }
}
