using System.Text;

namespace PfSim.Rules;

/// <summary>A bandwidth as pf.conf writes it: bits per second, or a percentage of the parent.</summary>
public readonly record struct Bandwidth(ulong BitsPerSecond, uint Percent)
{
    public bool IsSet => BitsPerSecond != 0 || Percent != 0;

    /// <summary>print_bwspec: "50%", or the rate in the largest of K, M, G that divides it.</summary>
    public override string ToString()
    {
        if (Percent != 0) return $"{Percent}%";
        ulong rate = BitsPerSecond;
        const string unit = " KMG";
        int i = 0;
        while (rate >= 1000 && i <= 3 && rate % 1000 == 0) { rate /= 1000; i++; }
        return i == 0 ? $"{rate} " : $"{rate}{unit[i]}";
    }
}

/// <summary>An OpenBSD queue (<c>queue NAME on IF | parent P …</c>); queues do not change pass/block, they are kept to print and check them.</summary>
public sealed record Queue
{
    public required string Name { get; init; }
    public string? Parent { get; init; }
    public string? Interface { get; init; }
    public Bandwidth Bandwidth { get; init; }
    public Bandwidth Min { get; init; }
    public Bandwidth Max { get; init; }
    public uint Flows { get; init; }
    public uint Quantum { get; init; }
    public uint QLimit { get; init; }
    public bool Default { get; init; }
    public string File { get; init; } = "";
    public int Line { get; init; }

    /// <summary>print_queuespec.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("queue ").Append(Name);
        if (Parent is not null) sb.Append(" parent ").Append(Parent);
        else if (Interface is not null) sb.Append(" on ").Append(Interface);
        if (Flows != 0)
        {
            sb.Append(" flows ").Append(Flows);
            if (Quantum != 0) sb.Append(" quantum ").Append(Quantum);
        }
        if (Bandwidth.IsSet)
        {
            sb.Append(" bandwidth ").Append(Bandwidth);
            if (Min.IsSet) sb.Append(", min ").Append(Min);
            if (Max.IsSet) sb.Append(", max ").Append(Max);
        }
        if (Default) sb.Append(" default");
        if (QLimit != 0) sb.Append(" qlimit ").Append(QLimit);
        return sb.ToString();
    }
}
