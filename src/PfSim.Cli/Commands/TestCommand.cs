using System.CommandLine;
using PfSim.Testing;

namespace PfSim.Cli;

/// <summary><c>pfsim test SPEC…</c>: check rulesets against written expectations, like a test runner.</summary>
internal static class TestCommand
{
    public static Command Create(CliContext ctx)
    {
        var specs = new Argument<string[]>("SPEC") { Description = "YAML spec files (ruleset, dialect, expectations).", Arity = ArgumentArity.OneOrMore };
        var junit = new Option<string?>("--junit") { Description = "Also write the results as JUnit XML to this file (for CI)." };
        var seed = new Option<ulong?>("--seed") { Description = "Draw the cases of 'property:' and 'flow:' lines from this seed (replays a failure; default: a new seed each run)." };
        var cmd = new Command("test",
            "Check rulesets against expectations written as administrators say them, e.g.\n" +
            "  tcp from 10.0.0.0/8 to 192.168.50.1 port 22: pass          (every such first packet, exactly)\n" +
            "  property: tcp from any to any port 23: block                 (generated packets through the engine)\n" +
            "  flow: tcp from 192.168.40.0/24 to 192.168.50.1 port 22: passes both ways\n" +
            "  traceroute -I from ubuntu to server: reaches                 (with 'lab:' and 'variant:')\n" +
            "Prints a summary ending in 'N passed, N failed'; exit 1 when an expectation fails.\n" +
            "Example: pfsim test captures/specs/seed-C.yaml --junit results.xml");
        cmd.Add(specs);
        cmd.Add(junit);
        cmd.Add(seed);
        cmd.SetAction(parse =>
        {
            var files = parse.GetValue(specs) ?? [];
            foreach (var f in files)
                if (!File.Exists(f)) throw new CliExit(ExitCodes.Usage, $"pfsim: {f}: No such file or directory");
            var runSeed = parse.GetValue(seed) ?? (ulong)System.Random.Shared.NextInt64(1, long.MaxValue);
            var results = files.Select(f => SpecRunner.Run(f, runSeed)).ToList();
            var o = ctx.Out;
            foreach (var s in results)
            {
                o.WriteLine($"{s.File}{(s.Ruleset is null ? "" : $" (ruleset {Path.GetRelativePath(Environment.CurrentDirectory, s.Ruleset)})")}");
                if (s.Error is not null)
                {
                    o.WriteLine("  ERROR  the spec could not be run:");
                    foreach (var line in s.Error.Split('\n')) o.WriteLine($"         {line}");
                }
                foreach (var r in s.Results)
                {
                    o.WriteLine($"  {(r.Passed ? "PASS" : "FAIL")}  {r.Expectation.Text}");
                    if (r.Failure is not null)
                        foreach (var line in r.Failure.Split('\n')) o.WriteLine($"        {line}");
                }
            }
            var path = parse.GetValue(junit);
            if (path is not null) JUnitReport.Build(results).Save(path);
            if (results.SelectMany(s => s.Results).Any(r => !r.Passed && r.Expectation.Kind is ExpectationKind.Property or ExpectationKind.Flow))
                o.WriteLine($"(generated cases drawn with --seed {runSeed}: add it to replay them)");
            int passed = results.Sum(s => s.Passed), failed = results.Sum(s => s.Failed);
            o.WriteLine($"{passed} passed, {failed} failed");
            return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }
}
