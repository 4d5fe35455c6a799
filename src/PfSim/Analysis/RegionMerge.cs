namespace PfSim.Analysis;

/// <summary>Joins boxes that differ in one field only, so a report shows few, readable regions.</summary>
public static class RegionMerge
{
    public static List<Box> Merge(IEnumerable<Box> boxes, int limit = 400)
    {
        var list = boxes.ToList();
        if (list.Count > limit) return list;
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < list.Count && !changed; i++)
                for (int j = i + 1; j < list.Count; j++)
                {
                    if (TryJoin(list[i], list[j]) is not { } joined) continue;
                    list[i] = joined;
                    list.RemoveAt(j);
                    changed = true;
                    break;
                }
        }
        return list;
    }

    private static Box? TryJoin(Box a, Box b)
    {
        int diffSet = -1, diffRange = -1;
        for (int i = 0; i < Box.SetCount; i++)
            if (a.Set(i) != b.Set(i)) { if (diffSet >= 0) return null; diffSet = i; }
        for (int i = 0; i < Box.RangeCount; i++)
            if (a.Lo(i) != b.Lo(i) || a.Hi(i) != b.Hi(i)) { if (diffRange >= 0) return null; diffRange = i; }
        if (diffSet >= 0 && diffRange >= 0) return null;
        if (diffSet >= 0) return a.WithSet(diffSet, a.Set(diffSet).Union(b.Set(diffSet)));
        if (diffRange < 0) return a;
        int f = diffRange;
        if (a.Hi(f) != UInt128.MaxValue && a.Hi(f) + 1 == b.Lo(f)) return a.WithRange(f, a.Lo(f), b.Hi(f));
        if (b.Hi(f) != UInt128.MaxValue && b.Hi(f) + 1 == a.Lo(f)) return a.WithRange(f, b.Lo(f), a.Hi(f));
        return null;
    }
}
