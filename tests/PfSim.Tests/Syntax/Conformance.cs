using System.Text;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Tests.Syntax;

/// <summary>One conformance case's outcome: passed, or why not (first differing line).</summary>
public sealed record CaseResult(string Suite, string Name, bool Passed, string Detail);

/// <summary>
/// Runs pfctl's own regression suites (../shared/peer/pfctl-openbsd, pfctl-freebsd) the way their
/// Makefiles do: `pfctl -o none -nv -f - &lt; X.in` compared with X.ok, "selfpf" (X.ok printed back
/// unchanged), and the failure cases (stderr then stdout, as pfctl wrote them reading stdin).
/// </summary>
public static class Conformance
{
    /// <summary>The host the regression Makefiles run on: lo0, plus lo1000000, tun1000000, tun1000001 created without addresses.</summary>
    public static HostModel RegressHost(Dialect d) => d == Dialect.FreeBsd ? FreeBsdHost : OpenBsdHost;
    private static readonly HostModel OpenBsdHost = CreateRegressHost(Dialect.OpenBsd);
    private static readonly HostModel FreeBsdHost = CreateRegressHost(Dialect.FreeBsd);

    private static HostModel CreateRegressHost(Dialect d)
    {
        var h = HostModel.CreateDefault(d);
        h.Interfaces.Add(new HostInterface("lo1000000", [], ["lo"]));
        h.Interfaces.Add(new HostInterface("tun1000000", [], ["tun"]));
        h.Interfaces.Add(new HostInterface("tun1000001", [], ["tun"]));
        return h;
    }

    // Cases that are not parser tests: they load anchors into a kernel (pfctl -a regress) and list them back.
    private static readonly HashSet<string> NotParserCases = ["pf112", "pf113"];

    private static string Dir(string suite) => Peer.Path_(suite);

    /// <summary>Output of "pfctl -o none -nv -f -" for this text: what it printed on stderr then stdout.</summary>
    public static (string Out, string Err, bool Ok) Run(string text, string includeDir, Dialect dialect,
        IReadOnlyDictionary<string, string>? defines = null)
    {
        var options = new LoadOptions { Dialect = dialect, Host = RegressHost(dialect), Optimization = "none", Defines = defines ?? new Dictionary<string, string>() };
        // Read as stdin ("stdin" in messages), with includes resolved from the suite's folder like the Makefiles' cwd.
        var cwd = Environment.CurrentDirectory;
        LoadResult r;
        lock (CwdLock)
        {
            Environment.CurrentDirectory = includeDir;
            try { r = PfConfLoader.LoadText(text, "stdin", options); }
            finally { Environment.CurrentDirectory = cwd; }
        }
        var err = new StringBuilder();
        foreach (var e in r.Errors) err.Append(e).Append('\n');
        string output = r.Success ? ConfigPrinter.Print(r.Config!) : string.Concat(r.Config!.Printed.Select(l => l + "\n"));
        return (output, err.ToString(), r.Success);
    }

    private static readonly object CwdLock = new();

    public static IEnumerable<CaseResult> PrintCases(string suite, Dialect dialect)
    {
        var dir = Dir(suite);
        foreach (var ok in Directory.GetFiles(dir, "pf*.ok").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(ok);
            if (name.StartsWith("pfail") || !char.IsAsciiDigit(name[2]) || NotParserCases.Contains(name)) continue;
            var inFile = Path.ChangeExtension(ok, ".in");
            if (!File.Exists(inFile)) continue;
            yield return Compare(suite + "/print", name, File.ReadAllText(inFile), File.ReadAllText(ok), dir, dialect);
        }
    }

    public static IEnumerable<CaseResult> SelfCases(string suite, Dialect dialect)
    {
        var dir = Dir(suite);
        foreach (var ok in Directory.GetFiles(dir, "pf*.ok").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(ok);
            if (name.StartsWith("pfail") || !char.IsAsciiDigit(name[2]) || NotParserCases.Contains(name)) continue;
            var text = File.ReadAllText(ok);
            yield return Compare(suite + "/selfpf", name, text, text, dir, dialect);
        }
    }

    private static CaseResult Compare(string suite, string name, string input, string expected, string dir, Dialect dialect)
    {
        try
        {
            var (output, err, ok) = Run(input, dir, dialect);
            if (!ok) return new CaseResult(suite, name, false, "rejected: " + FirstLine(err));
            if (output == expected) return new CaseResult(suite, name, true, "");
            return new CaseResult(suite, name, false, FirstDifference(expected, output));
        }
        catch (Exception e)
        {
            return new CaseResult(suite, name, false, "threw " + e.GetType().Name + ": " + e.Message);
        }
    }

    /// <summary>pfailN.in must be rejected; with pfailN.ok, stderr followed by stdout must equal it.</summary>
    public static IEnumerable<CaseResult> FailCases(string suite, Dialect dialect)
    {
        var dir = Dir(suite);
        foreach (var inFile in Directory.GetFiles(dir, "pfail*.in").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(inFile);
            var okFile = Path.ChangeExtension(inFile, ".ok");
            CaseResult res;
            try
            {
                var (output, err, ok) = Run(File.ReadAllText(inFile), dir, dialect);
                if (ok) res = new CaseResult(suite + "/fail", name, false, "accepted");
                else if (!File.Exists(okFile)) res = new CaseResult(suite + "/fail", name, true, "rejected (no .ok to compare)");
                else
                {
                    var expected = File.ReadAllText(okFile);
                    string got = err + output;
                    res = got == expected
                        ? new CaseResult(suite + "/fail", name, true, "")
                        : new CaseResult(suite + "/fail", name, false, FirstDifference(expected, got));
                }
            }
            catch (Exception e)
            {
                res = new CaseResult(suite + "/fail", name, false, "threw " + e.GetType().Name + ": " + e.Message);
            }
            yield return res;
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0];

    public static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string el = i < e.Length ? e[i] : "<end>";
            string al = i < a.Length ? a[i] : "<end>";
            if (el != al) return $"line {i + 1}: expected «{el}» got «{al}»";
        }
        return "differs";
    }

    /// <summary>
    /// The Makefile's pfoptN: `pfctl -o none -nv -f - $(cat pfoptN.opts) &lt; pfoptN.in` compared with pfoptN.ok. The options
    /// used are -D macro=value and -a anchor (which loads the same rules under an anchor: -nv prints them alike).
    /// </summary>
    public static IEnumerable<CaseResult> OptionCases(string suite, Dialect dialect)
    {
        var dir = Dir(suite);
        foreach (var inFile in Directory.GetFiles(dir, "pfopt*.in").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(inFile);
            var okFile = Path.ChangeExtension(inFile, ".ok");
            if (!File.Exists(okFile)) continue;
            var optsFile = Path.ChangeExtension(inFile, ".opts");
            var args = File.Exists(optsFile) ? File.ReadAllText(optsFile).Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries) : [];
            var defines = new Dictionary<string, string>(StringComparer.Ordinal);
            string? unsupported = null;
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i].StartsWith("-D") && args[i].Contains('='))
                {
                    var d = args[i][2..];
                    defines[d[..d.IndexOf('=')]] = d[(d.IndexOf('=') + 1)..];
                }
                else if (args[i] == "-a" && i + 1 < args.Length) i++;
                else unsupported = args[i];
            }
            if (unsupported is not null)
            {
                yield return new CaseResult(suite + "/opt", name, false, $"pfctl option {unsupported} is not simulated");
                continue;
            }
            CaseResult res;
            try
            {
                var (output, err, ok) = Run(File.ReadAllText(inFile), dir, dialect, defines);
                var expected = File.ReadAllText(okFile);
                res = !ok ? new CaseResult(suite + "/opt", name, false, "rejected: " + FirstLine(err))
                    : output == expected ? new CaseResult(suite + "/opt", name, true, "")
                    : new CaseResult(suite + "/opt", name, false, FirstDifference(expected, output));
            }
            catch (Exception e)
            {
                res = new CaseResult(suite + "/opt", name, false, "threw " + e.GetType().Name + ": " + e.Message);
            }
            yield return res;
        }
    }

    /// <summary>
    /// The Makefile's pfoptimizeN: `pfctl -obasic -a regress -f - &lt; pfN.in`, then `pfctl -o none -a regress -gvvsr`
    /// with `__automatic_HEX_` written `__automatic_`, compared with pfN.optimized. Where the snapshot lacks pfN.in,
    /// pfN.ok (what pfctl -nv printed of it, which loads the same rules) is the input.
    /// </summary>
    public static IEnumerable<CaseResult> OptimizeCases(string suite, Dialect dialect)
    {
        var dir = Dir(suite);
        foreach (var expectedFile in Directory.GetFiles(dir, "pf*.optimized").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(expectedFile);
            var input = new[] { ".in", ".ok" }.Select(e => Path.ChangeExtension(expectedFile, e)).FirstOrDefault(File.Exists);
            if (input is null)
            {
                yield return new CaseResult(suite + "/optimize", name, false, "neither pfN.in nor pfN.ok in the snapshot");
                continue;
            }
            CaseResult res;
            try
            {
                var output = RunLoaded(File.ReadAllText(input), dir, dialect, "basic");
                var expected = File.ReadAllText(expectedFile);
                res = output == expected
                    ? new CaseResult(suite + "/optimize", name, true, "")
                    : new CaseResult(suite + "/optimize", name, false, FirstDifference(expected, output));
            }
            catch (Exception e)
            {
                res = new CaseResult(suite + "/optimize", name, false, "threw " + e.GetType().Name + ": " + e.Message);
            }
            yield return res;
        }
    }

    /// <summary>Loads the text with the given optimization and prints it as the kernel shows it (pfctl -gvvsr).</summary>
    public static string RunLoaded(string text, string includeDir, Dialect dialect, string optimization)
    {
        var options = new LoadOptions { Dialect = dialect, Host = RegressHost(dialect), Optimization = optimization };
        var cwd = Environment.CurrentDirectory;
        LoadResult r;
        lock (CwdLock)
        {
            Environment.CurrentDirectory = includeDir;
            try { r = PfConfLoader.LoadText(text, "stdin", options); }
            finally { Environment.CurrentDirectory = cwd; }
        }
        if (!r.Success) return "rejected: " + string.Join("; ", r.Errors);
        return LoadedPrinter.Print(r.Config!);
    }

    /// <summary>"suite: N passed, N failed" and the failures by name, as the report shows them.</summary>
    public static string Summary(string suite, IReadOnlyList<CaseResult> results)
    {
        var sb = new StringBuilder();
        int passed = results.Count(r => r.Passed);
        sb.Append($"{suite}: {passed} passed, {results.Count - passed} failed ({100.0 * passed / Math.Max(1, results.Count):F1}%)\n");
        foreach (var r in results.Where(r => !r.Passed))
            sb.Append($"  FAIL {r.Suite}/{r.Name}: {r.Detail}\n");
        return sb.ToString();
    }
}
