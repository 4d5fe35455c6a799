using System.Numerics;
using System.Text;

namespace PfSim.Analysis;

/// <summary>A set of values 0..255 (protocols, TCP flag bytes, ICMP types and codes, interface and direction indices).</summary>
public readonly record struct ByteSet(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public static readonly ByteSet Empty = default;
    public static readonly ByteSet All = new(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue);

    public static ByteSet Of(int value) => Empty.With(value);

    public static ByteSet Of(params ReadOnlySpan<int> values)
    {
        var s = Empty;
        foreach (var v in values) s = s.With(v);
        return s;
    }

    /// <summary>The values lo..hi inclusive.</summary>
    public static ByteSet Range(int lo, int hi)
    {
        var s = Empty;
        for (int v = lo; v <= hi; v++) s = s.With(v);
        return s;
    }

    /// <summary>The flag bytes f with <c>(f &amp; mask) == bits</c> (pf's <c>flags bits/mask</c> test).</summary>
    public static ByteSet Masked(byte bits, byte mask)
    {
        var s = Empty;
        for (int v = 0; v < 256; v++)
            if ((v & mask) == bits) s = s.With(v);
        return s;
    }

    public ByteSet With(int v) => (v >> 6) switch
    {
        0 => this with { W0 = W0 | 1UL << v },
        1 => this with { W1 = W1 | 1UL << (v - 64) },
        2 => this with { W2 = W2 | 1UL << (v - 128) },
        _ => this with { W3 = W3 | 1UL << (v - 192) },
    };

    public bool Contains(int v) => v is >= 0 and < 256 && ((v >> 6) switch
    {
        0 => W0 >> v,
        1 => W1 >> (v - 64),
        2 => W2 >> (v - 128),
        _ => W3 >> (v - 192),
    } & 1) != 0;

    public bool IsEmpty => (W0 | W1 | W2 | W3) == 0;
    public int Count => BitOperations.PopCount(W0) + BitOperations.PopCount(W1) + BitOperations.PopCount(W2) + BitOperations.PopCount(W3);

    public ByteSet Intersect(ByteSet o) => new(W0 & o.W0, W1 & o.W1, W2 & o.W2, W3 & o.W3);
    public ByteSet Union(ByteSet o) => new(W0 | o.W0, W1 | o.W1, W2 | o.W2, W3 | o.W3);
    public ByteSet Except(ByteSet o) => new(W0 & ~o.W0, W1 & ~o.W1, W2 & ~o.W2, W3 & ~o.W3);
    public bool Overlaps(ByteSet o) => ((W0 & o.W0) | (W1 & o.W1) | (W2 & o.W2) | (W3 & o.W3)) != 0;
    public bool IsSubsetOf(ByteSet o) => Except(o).IsEmpty;

    /// <summary>The smallest member, or -1.</summary>
    public int Min
    {
        get
        {
            if (W0 != 0) return BitOperations.TrailingZeroCount(W0);
            if (W1 != 0) return 64 + BitOperations.TrailingZeroCount(W1);
            if (W2 != 0) return 128 + BitOperations.TrailingZeroCount(W2);
            if (W3 != 0) return 192 + BitOperations.TrailingZeroCount(W3);
            return -1;
        }
    }

    public IEnumerable<int> Values()
    {
        for (int v = 0; v < 256; v++)
            if (Contains(v)) yield return v;
    }

    /// <summary>Runs of consecutive members as (lo, hi) pairs.</summary>
    public IEnumerable<(int Lo, int Hi)> Runs()
    {
        int start = -1;
        for (int v = 0; v <= 256; v++)
        {
            bool inSet = v < 256 && Contains(v);
            if (inSet && start < 0) start = v;
            else if (!inSet && start >= 0) { yield return (start, v - 1); start = -1; }
        }
    }

    /// <summary>"6", "1-5 7", with <paramref name="name"/> naming a value.</summary>
    public string Format(Func<int, string>? name = null)
    {
        var sb = new StringBuilder();
        foreach (var (lo, hi) in Runs())
        {
            if (sb.Length > 0) sb.Append(' ');
            if (lo == hi || name is not null && hi - lo < 3)
            {
                for (int v = lo; v <= hi; v++)
                {
                    if (v > lo) sb.Append(' ');
                    sb.Append(name is null ? v.ToString() : name(v));
                }
            }
            else sb.Append(lo).Append('-').Append(hi);
        }
        return sb.ToString();
    }
}
