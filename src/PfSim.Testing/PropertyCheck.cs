using FsCheck;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace PfSim.Testing;

/// <summary>
/// Checks a spec's FsCheck property and reports a failure in a few lines: the counts, the original and shrunk case
/// (their ToString), labels, and PfSim's explanation — no stack frames, no replay seeds.
/// Our own runner writes that report, because FsCheck's formats values with F#'s <c>%A</c>, which builds generic
/// methods at run time and so fails in the Native AOT build of pfsim.
/// </summary>
internal static class PropertyCheck
{
    /// <summary>Null when the property held for <paramref name="samples"/> cases (drawn from <paramref name="seed"/> when given), else the report.</summary>
    public static string? Run(Property prop, int samples, ulong? seed = null)
    {
        var runner = new ReportingRunner();
        var config = Config.Quick.WithMaxTest(samples).WithQuietOnSuccess(true).WithRunner(runner);
        if (seed is ulong s) config = config.WithReplay(new Replay(new Rnd(s), FSharpOption<int>.None));
        try { Check.One(config, prop); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { return ex.Message; } // a generator that throws
        return runner.Failure;
    }

    private sealed class ReportingRunner : IRunner
    {
        public string? Failure { get; private set; }

        public void OnStartFixture(Type type) { }
        public void OnArguments(int test, FSharpList<object> args, FSharpFunc<int, FSharpFunc<FSharpList<object>, string>> every) { }
        public void OnShrink(FSharpList<object> args, FSharpFunc<FSharpList<object>, string> everyShrink) { }

        public void OnFinished(string name, TestResult result)
        {
            if (result is TestResult.Failed f) Failure = Report(f.Item1, f.Item2, f.Item3, f.Item4);
            else if (result is TestResult.Exhausted e) Failure = $"Arguments exhausted after {Count(e.Item.NumberOfTests, "test")}.";
        }
    }

    private static string Report(TestData data, FSharpList<object> original, FSharpList<object> shrunk, Outcome outcome)
    {
        var lines = new List<string> { $"Falsifiable, after {Count(data.NumberOfTests, "test")} ({Count(data.NumberOfShrinks, "shrink")})." };
        if (data.Labels.Count == 1) lines.Add($"Label of failing property: {data.Labels.MinimumElement}");
        else if (data.Labels.Count > 1) { lines.Add("Labels of failing property (one or more is failing):"); lines.AddRange(data.Labels); }
        lines.Add("Original:");
        lines.AddRange(original.Select(Show));
        if (data.NumberOfShrinks > 0)
        {
            lines.Add("Shrunk:");
            lines.AddRange(shrunk.Select(Show));
        }
        if (outcome is Outcome.Failed { Item: { } ex })
            lines.Add(ex is RulesetAssertionException ? ex.Message : $"{ex.GetType().FullName}: {ex.Message}");
        return string.Join("\n", lines.SelectMany(l => l.Split('\n')).Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0));
    }

    private static string Show(object? arg) => arg?.ToString() ?? "null";

    private static string Count(int n, string what) => $"{n} {what}{(n == 1 ? "" : "s")}";
}
