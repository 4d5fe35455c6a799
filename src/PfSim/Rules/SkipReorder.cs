using static PfSim.Rules.RulesetOptimizer;

namespace PfSim.Rules;

/// <summary>
/// reorder_rules of pfctl_optimize.c: inside a superblock, rules that share a skip-step field (same interface,
/// direction, family, protocol, address or port) are pulled together, the largest group first, so that pf's skip
/// steps jump further. A group of more than two rules becomes a superblock of its own, placed before the rest and
/// re-ordered in turn.
/// </summary>
internal static class SkipReorder
{
    /// <summary>pf's skip-step fields in PF_SKIP_* order (OpenBSD).</summary>
    private const int Ifp = 0, Dir = 1, RDomain = 2, Af = 3, Proto = 4, SrcAddr = 5, DstAddr = 6, SrcPort = 7, DstPort = 8, Count = 9;

    /// <summary>pf_skip_step: rules that agree on one field, and how many still count.</summary>
    private sealed class SkipList
    {
        public int Count;
        public readonly List<OptRule> Rules = [];
    }

    public static void Reorder(LinkedList<Superblock> blocks, LinkedListNode<Superblock> node)
    {
        var block = node.Value;
        var lists = new List<SkipList>[Count];
        for (int i = 0; i < Count; i++)
        {
            lists[i] = [];
            foreach (var por in block.Rules)
            {
                SkipList? found = null;
                foreach (var sl in lists[i])
                    if (Same(i, por.Rule, sl.Rules[0].Rule)) { found = sl; break; }
                if (found is null) lists[i].Add(found = new SkipList());
                // skip_append: keep the lists ordered by size, largest first.
                found.Count++;
                found.Rules.Add(por);
                int at = lists[i].IndexOf(found);
                while (at > 0 && lists[i][at - 1].Count < found.Count)
                {
                    (lists[i][at - 1], lists[i][at]) = (lists[i][at], lists[i][at - 1]);
                    at--;
                }
            }
        }

        // A field all rules share, or none do, says nothing about the order.
        int ruleCount = block.Rules.Count, largest = 0;
        for (int i = 0; i < Count; i++)
        {
            var first = lists[i][0];
            if (first.Count == ruleCount || first.Count == 1) first.Count = 0;
            else largest = Math.Max(largest, first.Count);
        }
        if (largest == 0) return;

        var head = new List<OptRule>(block.Rules);
        block.Rules.Clear();
        while (head.Count > 0)
        {
            largest = 1;
            int largestList = -1;
            for (int i = 0; i < Count; i++)
            {
                if (lists[i].Count > 0 && lists[i][0].Count > largest)
                {
                    largest = lists[i][0].Count;
                    largestList = i;
                }
            }
            if (largestList < 0)
            {
                block.Rules.AddRange(head);
                head.Clear();
                break;
            }
            var chosen = lists[largestList][0];
            lists[largestList].RemoveAt(0);
            Superblock target = block;
            LinkedListNode<Superblock>? targetNode = null;
            if (chosen.Count > 2)
            {
                target = new Superblock();
                targetNode = blocks.AddBefore(node, target);
            }
            foreach (var por in chosen.Rules)
            {
                if (!head.Remove(por)) continue;
                target.Rules.Add(por);
                RemoveFromOthers(lists, por);
            }
            if (targetNode is not null) Reorder(blocks, targetNode);
        }
    }

    /// <summary>remove_from_skipsteps: a placed rule no longer counts in the other fields' groups.</summary>
    private static void RemoveFromOthers(List<SkipList>[] lists, OptRule por)
    {
        for (int i = 0; i < Count; i++)
        {
            var l = lists[i];
            if (l.Count == 0 || l[0].Count <= 1) continue;
            for (int at = 0; at < l.Count; at++)
            {
                var sk = l[at];
                if (!sk.Rules.Remove(por)) continue;
                sk.Count--;
                while (at + 1 < l.Count && l[at + 1].Count > sk.Count)
                {
                    (l[at], l[at + 1]) = (l[at + 1], l[at]);
                    at++;
                }
                break;
            }
        }
    }

    /// <summary>The skip_cmp_* comparators: true when rule <paramref name="a"/> belongs with <paramref name="b"/> on a field
    /// (an unset field in <paramref name="a"/> never does).</summary>
    private static bool Same(int field, Rule a, Rule b) => field switch
    {
        Ifp => !string.IsNullOrEmpty(a.Interface) && a.Interface == b.Interface && a.InterfaceNot == b.InterfaceNot,
        Dir => a.Direction != Direction.InOut && a.Direction == b.Direction,
        RDomain => a.RDomain != -1 && a.RDomain == b.RDomain && a.RDomainNot == b.RDomainNot,
        Af => a.Af != PfSim.Af.Any && a.Af == b.Af,
        Proto => a.Proto != 0 && a.Proto == b.Proto,
        SrcAddr => SameAddress(a.From.Address, b.From.Address),
        DstAddr => SameAddress(a.To.Address, b.To.Address),
        SrcPort => a.From.Port.Op != PortOp.None && a.From.Port == b.From.Port,
        DstPort => a.To.Port.Op != PortOp.None && a.To.Port == b.To.Port,
        _ => false,
    };

    private static bool SameAddress(AddressMatch a, AddressMatch b)
    {
        if (a.Not != b.Not) return false;
        bool az = OptKey.IsZero(a), bz = OptKey.IsZero(b);
        if (az || bz) return false;
        if (a.Kind != b.Kind) return false;
        return a.Kind switch
        {
            AddressKind.Network => a.Address == b.Address && a.Prefix == b.Prefix,
            // pfctl compares the interface name and mask; its flag test compares a with itself.
            AddressKind.Dynamic => a.Name == b.Name && a.Prefix == b.Prefix,
            AddressKind.NoRoute or AddressKind.UrpfFailed => true,
            AddressKind.Table => a.Name == b.Name,
            _ => false,
        };
    }
}
