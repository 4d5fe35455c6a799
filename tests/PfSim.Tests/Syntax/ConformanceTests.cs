using PfSim.Rules;
using Xunit.Abstractions;

namespace PfSim.Tests.Syntax;

/// <summary>pfctl's regression suites, per suite: "N passed, N failed", failures named; every failure must be a listed exception.</summary>
public class ConformanceTests(ITestOutputHelper output)
{
    private void Check(string suite, IEnumerable<CaseResult> cases)
    {
        var results = cases.ToList();
        var summary = Conformance.Summary(suite, results);
        output.WriteLine(summary);
        Console.WriteLine(summary);
        var unexpected = results.Where(r => !r.Passed && !ConformanceExceptions.Known.ContainsKey($"{r.Suite}/{r.Name}")).ToList();
        var nowPassing = results.Where(r => r.Passed && ConformanceExceptions.Known.ContainsKey($"{r.Suite}/{r.Name}")).ToList();
        Assert.True(unexpected.Count == 0,
            "failures not in ConformanceExceptions:\n" + string.Join("\n", unexpected.Select(r => $"{r.Suite}/{r.Name}: {r.Detail}")));
        Assert.True(nowPassing.Count == 0,
            "listed as exceptions but passing now (remove them from the list):\n" + string.Join("\n", nowPassing.Select(r => $"{r.Suite}/{r.Name}")));
    }

    [PeerFact]
    public void OpenBsd_Print() => Check("pfctl-openbsd print", Conformance.PrintCases("pfctl-openbsd", Dialect.OpenBsd));

    [PeerFact]
    public void OpenBsd_SelfPrint() => Check("pfctl-openbsd selfpf", Conformance.SelfCases("pfctl-openbsd", Dialect.OpenBsd));

    [PeerFact]
    public void OpenBsd_FailCases() => Check("pfctl-openbsd fail", Conformance.FailCases("pfctl-openbsd", Dialect.OpenBsd));

    [PeerFact]
    public void OpenBsd_CommandLineOptions() => Check("pfctl-openbsd opt", Conformance.OptionCases("pfctl-openbsd", Dialect.OpenBsd));

    [PeerFact]
    public void OpenBsd_Optimize() => Check("pfctl-openbsd optimize", Conformance.OptimizeCases("pfctl-openbsd", Dialect.OpenBsd));

    [PeerFact]
    public void FreeBsd_Print() => Check("pfctl-freebsd print", Conformance.PrintCases("pfctl-freebsd", Dialect.FreeBsd));

    [PeerFact]
    public void FreeBsd_SelfPrint() => Check("pfctl-freebsd selfpf", Conformance.SelfCases("pfctl-freebsd", Dialect.FreeBsd));
}
