namespace PfSim.Engine;

/// <summary>The state table: states by key, wire and stack side, as pf_find_state and pf_state_insert keep them.</summary>
public sealed class StateTable
{
    private readonly Dictionary<StateKey, State> _byKey = new();
    private readonly List<State> _all = [];
    private uint _nextId = 1;

    /// <summary>Live states (not unlinked), in creation order.</summary>
    public int Count { get; private set; }

    /// <summary>Every live state, in creation order.</summary>
    public IEnumerable<State> States
    {
        get
        {
            foreach (var s in _all) if (!s.Unlinked) yield return s;
        }
    }

    /// <summary>
    /// pf_find_state: the state on <paramref name="key"/> usable by a packet in <paramref name="dir"/> on <paramref name="ifId"/>:
    /// bound to that interface or floating, and (with translation) inbound packets on the wire key, outbound on the stack key.
    /// </summary>
    public State? Find(in StateKey key, Direction dir, int ifId)
    {
        if (!_byKey.TryGetValue(key, out var s)) return null;
        State? floating = null;
        for (; s is not null; s = s.NextOnKey)
        {
            if (s.Unlinked) continue;
            if (s.IsTranslated && !(dir == Direction.In ? s.Wire.Equals(key) : s.Stack.Equals(key))) continue;
            if (s.InterfaceId == ifId) return s;
            if (s.InterfaceId < 0) floating ??= s;
        }
        return floating;
    }

    /// <summary>pf_state_insert: attaches the state under its keys; false when a state on the same key and interface exists (state-insert).</summary>
    public bool Insert(State s)
    {
        if (!Attach(s.Wire, s)) return false;
        if (s.IsTranslated && !Attach(s.Stack, s)) { Detach(s.Wire, s); return false; }
        s.Id = _nextId++;
        if (_all.Count > 1024 && _all.Count > 2 * Count) _all.RemoveAll(static x => x.Unlinked);
        _all.Add(s);
        Count++;
        return true;
    }

    private bool Attach(in StateKey key, State s)
    {
        if (!_byKey.TryGetValue(key, out var head)) { _byKey[key] = s; s.NextOnKey = null; return true; }
        for (var o = head; o is not null; o = o.NextOnKey)
            if (!o.Unlinked && o.InterfaceId == s.InterfaceId) return false;
        // pf lists if-bound states before floating ones.
        s.NextOnKey = head;
        _byKey[key] = s;
        return true;
    }

    private void Detach(in StateKey key, State s)
    {
        if (!_byKey.TryGetValue(key, out var head)) return;
        if (head == s)
        {
            if (s.NextOnKey is null) _byKey.Remove(key); else _byKey[key] = s.NextOnKey;
            return;
        }
        for (var o = head; o.NextOnKey is not null; o = o.NextOnKey)
            if (o.NextOnKey == s) { o.NextOnKey = s.NextOnKey; return; }
    }

    /// <summary>pf_unlink_state: removes the state from the table.</summary>
    public void Unlink(State s)
    {
        if (s.Unlinked) return;
        s.Unlinked = true;
        Detach(s.Wire, s);
        if (s.IsTranslated) Detach(s.Stack, s);
        Count--;
    }

    /// <summary>Unlinks every state <paramref name="fw"/> finds expired at <paramref name="now"/>.</summary>
    internal void RemoveWhere(Firewall fw, double now)
    {
        for (int i = 0; i < _all.Count; i++)
        {
            var s = _all[i];
            if (!s.Unlinked && fw.IsExpired(s, now)) fw.RemoveState(s);
        }
        if (_all.Count > 64 && _all.Count > 2 * Count) _all.RemoveAll(static x => x.Unlinked);
    }

    /// <summary>Keys currently attached, wire and stack (for tests).</summary>
    internal bool ContainsKey(in StateKey key) => _byKey.ContainsKey(key);
}
