using PfSim.Engine;
using PfSim.Packets;

namespace PfSim.Tests.Engine;

/// <summary>
/// The state table against a plain model of pf's key lists: random inserts, unlinks and lookups on a small key space
/// (so keys collide, states share keys across interfaces and directions, and translated states pair two keys), through
/// enough states to grow and shrink the table several times.
/// </summary>
public class StateTableModelTests
{
    /// <summary>pf's key lists as dictionaries: the states whose wire key, and whose stack key, is a given key, oldest first.</summary>
    private sealed class Model(bool keyRolesApart)
    {
        public readonly List<State> Live = [];
        private readonly Dictionary<StateKey, List<State>> _byWire = [], _byStack = [];

        private static List<State> On(Dictionary<StateKey, List<State>> d, StateKey k) => d.TryGetValue(k, out var l) ? l : [];

        // pf_state_key_attach: same binding and direction on a key, in the role the dialect compares.
        public bool Collides(State s)
        {
            bool Same(State o) => o.InterfaceId == s.InterfaceId && o.Direction == s.Direction;
            if (keyRolesApart)
                return On(_byWire, s.Wire).Exists(Same) || (s.IsTranslated && On(_byStack, s.Stack).Exists(Same));
            return On(_byWire, s.Wire).Exists(Same) || On(_byStack, s.Wire).Exists(Same)
                || On(_byWire, s.Stack).Exists(Same) || On(_byStack, s.Stack).Exists(Same);
        }

        public void Add(State s)
        {
            Live.Add(s);
            (_byWire.TryGetValue(s.Wire, out var w) ? w : _byWire[s.Wire] = []).Add(s);
            (_byStack.TryGetValue(s.Stack, out var k) ? k : _byStack[s.Stack] = []).Add(s);
        }

        public void RemoveAt(int i)
        {
            var s = Live[i];
            Live[i] = Live[^1];
            Live.RemoveAt(Live.Count - 1);
            _byWire[s.Wire].Remove(s);
            _byStack[s.Stack].Remove(s);
        }

        // pf_find_state: inbound on wire keys, outbound on stack keys; the newest bound to the interface, else the oldest floating.
        public State? Find(StateKey key, Direction dir, int ifId)
        {
            State? bound = null, floating = null;
            foreach (var s in On(dir == Direction.In ? _byWire : _byStack, key))
            {
                if (s.InterfaceId == ifId && ifId >= 0) bound = s;
                else if (s.InterfaceId < 0) floating ??= s;
            }
            return bound ?? floating;
        }
    }

    private static StateKey RandomKey(Random rng)
    {
        // 40 hosts and 6 ports each side: about 58K keys, a few of them IPv6 (stored in the state's extras).
        bool v6 = rng.Next(10) == 0;
        Address Host(int i) => v6 ? Address.Parse($"2001:db8::{i + 1:x}") : Address.V4(0x0A000000u | (uint)i);
        return new StateKey(Host(rng.Next(40)), (ushort)(1000 + rng.Next(6)), Host(40 + rng.Next(40)), (ushort)(2000 + rng.Next(6)),
            rng.Next(4) == 0 ? IpProto.Udp : IpProto.Tcp);
    }

    [FsCheck.Xunit.Property(MaxTest = 20)]
    public bool RandomInsertUnlinkFind_AgreeWithTheModel_ThroughGrowthAndShrink(int seed, bool keyRolesApart)
    {
        var rng = new Random(seed);
        var table = new StateTable();
        var model = new Model(keyRolesApart);
        int target = rng.Next(100, 4000);
        for (int round = 0; round < 3; round++)
        {
            // Fill towards the target (mostly inserts), then drain (mostly unlinks); look up all along.
            for (int phase = 0; phase < 2; phase++)
                for (int i = 0; i < target * 2; i++)
                {
                    int op = rng.Next(10);
                    bool filling = phase == 0;
                    if (op < (filling ? 6 : 2))
                    {
                        var wire = RandomKey(rng);
                        var s = new State { Wire = wire, Direction = rng.Next(2) == 0 ? Direction.In : Direction.Out, InterfaceId = rng.Next(-1, 2) };
                        s.Stack = rng.Next(3) == 0 && wire.Af == Af.Inet ? RandomKey(rng) is var k && k.Af == Af.Inet ? k : wire : wire;
                        bool expected = !model.Collides(s);
                        if (table.Insert(s, keyRolesApart) != expected) return false;
                        if (expected) model.Add(s);
                    }
                    else if (op < (filling ? 8 : 7) && model.Live.Count > 0)
                    {
                        int at = rng.Next(model.Live.Count);
                        table.Unlink(model.Live[at]);
                        model.RemoveAt(at);
                    }
                    else
                    {
                        // Look up a live state's own keys half the time, a random key otherwise.
                        var dir = rng.Next(2) == 0 ? Direction.In : Direction.Out;
                        var key = model.Live.Count > 0 && rng.Next(2) == 0
                            ? (dir == Direction.In ? model.Live[rng.Next(model.Live.Count)].Wire : model.Live[rng.Next(model.Live.Count)].Stack)
                            : RandomKey(rng);
                        int ifId = rng.Next(-1, 2);
                        if (!ReferenceEquals(table.Find(key, dir, ifId), model.Find(key, dir, ifId))) return false;
                    }
                    if (table.Count != model.Live.Count) return false;
                }
        }
        // Every live state is still found by its own keys, and the listing holds exactly the live states.
        foreach (var s in model.Live)
        {
            int ifId = s.InterfaceId;
            if (table.Find(s.Wire, Direction.In, ifId) is null || table.Find(s.Stack, Direction.Out, ifId) is null) return false;
        }
        return table.States.SequenceEqual(model.Live.OrderBy(s => s.Id));
    }
}
