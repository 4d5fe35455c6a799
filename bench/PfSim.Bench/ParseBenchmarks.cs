using BenchmarkDotNet.Attributes;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Bench;

/// <summary>
/// `pfsim check` of a large pf.conf: a ClassBench 10K filter set (../shared/peer/classbench) as pf rules,
/// loaded (lexed, parsed, expanded, printed into Rule.Text) in each dialect.
/// Run: dotnet run -c Release --project bench/PfSim.Bench -- --filter '*Parse*' --job short
/// </summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private string _text = "";

    [Params("acl1_10K", "fw1_10K")]
    public string Set { get; set; } = "acl1_10K";

    [Params(Dialect.OpenBsd, Dialect.FreeBsd)]
    public Dialect Dialect { get; set; }

    public int Rules { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        var path = FindClassBench(Set) ?? throw new InvalidOperationException("../shared/peer/classbench is absent: this benchmark needs it");
        _text = ClassBenchRules.ToPfConf(File.ReadAllText(path), "em0", out _);
        var r = PfConfLoader.LoadText(_text, Set + ".conf", new LoadOptions { Dialect = Dialect });
        if (!r.Success) throw new InvalidOperationException(string.Join("\n", r.Errors.Take(5)));
        Rules = r.Config!.Main.Filter.Count;
        Console.WriteLine($"// {Set}: {_text.Split('\n').Length - 1} pf.conf lines, {Rules} rules loaded");
    }

    [Benchmark]
    public int Load()
    {
        var r = PfConfLoader.LoadText(_text, Set + ".conf", new LoadOptions { Dialect = Dialect });
        return r.Config!.Main.Filter.Count;
    }

    internal static string? FindClassBench(string set)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            foreach (var rel in new[] { Path.Combine("..", "shared", "peer", "classbench"), Path.Combine("shared", "peer", "classbench") })
            {
                var p = Path.Combine(d.FullName, rel, set);
                if (File.Exists(p)) return Path.GetFullPath(p);
            }
        }
        return null;
    }
}
