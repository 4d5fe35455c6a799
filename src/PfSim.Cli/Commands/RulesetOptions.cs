using System.CommandLine;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Cli;

/// <summary>The options every command that reads a pf.conf shares: -D, --dialect, --host, --root, --optimize, --verbose.</summary>
internal sealed class RulesetOptions
{
    public Option<string[]> Defines { get; } = new("-D", "--define")
    {
        Description = "Define a macro, as pfctl -D: NAME=VALUE (repeatable).",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<string> Dialect { get; } = new("--dialect")
    {
        Description = "pf.conf dialect: openbsd, freebsd or auto (decided from the syntax).",
        DefaultValueFactory = _ => "auto",
    };

    public Option<FileInfo?> Host { get; } = new("--host")
    {
        Description = "YAML description of the machine pf runs on (interfaces, routes for no-route/urpf-failed, hosts, users, groups).",
    };

    public Option<DirectoryInfo?> Root { get; } = new("--root")
    {
        Description = "Read absolute paths the ruleset names (include, table files, load anchor) under this directory.",
    };

    public Option<string?> Optimize { get; } = new("--optimize", "-o")
    {
        Description = "Ruleset optimization as pfctl -o: none, basic or profile; the rules pf then loads are the ones " +
                      "simulated. Without it the file's 'set ruleset-optimization' decides, else none. basic removes " +
                      "duplicate and covered rules, folds 6 or more rules differing in one address into a " +
                      "<__automatic_N> table and re-orders rules for skip steps (rule numbers move). profile orders " +
                      "quick rules by the counters of the ruleset running in the kernel; PfSim simulates a box with none " +
                      "loaded, where pfctl's profile does exactly what basic does.",
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "Say on stderr which dialect was used.",
    };

    public void AddTo(Command cmd)
    {
        cmd.Add(Defines);
        cmd.Add(Dialect);
        cmd.Add(Host);
        cmd.Add(Root);
        cmd.Add(Optimize);
        cmd.Add(Verbose);
    }

    /// <summary>Loads the file named by <paramref name="file"/> with these options; exits 2 on usage errors.</summary>
    public LoadResult Load(ParseResult parse, CliContext ctx, string file, string? optimization = null)
    {
        var dialect = (parse.GetValue(Dialect) ?? "auto") switch
        {
            "openbsd" => PfSim.Rules.Dialect.OpenBsd,
            "freebsd" => PfSim.Rules.Dialect.FreeBsd,
            "auto" => PfSim.Rules.Dialect.Auto,
            var other => throw new CliExit(ExitCodes.Usage, $"pfsim: unknown dialect '{other}' (openbsd, freebsd or auto)"),
        };
        optimization ??= parse.GetValue(Optimize);
        if (optimization is not (null or "none" or "basic" or "profile"))
            throw new CliExit(ExitCodes.Usage, $"pfsim: unknown optimization '{optimization}' (none, basic or profile)");
        var defines = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in parse.GetValue(Defines) ?? [])
        {
            int eq = d.IndexOf('=');
            if (eq <= 0) throw new CliExit(ExitCodes.Usage, $"pfsim: could not parse macro definition {d}");
            defines[d[..eq]] = d[(eq + 1)..];
        }
        var host = HostModel.Default;
        var hostFile = parse.GetValue(Host);
        if (hostFile is not null)
        {
            if (!hostFile.Exists) throw new CliExit(ExitCodes.Usage, $"pfsim: {hostFile.FullName}: No such file or directory");
            var (model, errors) = HostModelLoader.LoadFile(hostFile.FullName);
            if (model is null)
            {
                foreach (var e in errors) ctx.Err.WriteLine(e);
                throw new CliExit(ExitCodes.Failed);
            }
            host = model;
        }
        if (file != "-" && !File.Exists(file)) throw new CliExit(ExitCodes.Usage, $"pfsim: {file}: No such file or directory");
        var options = new LoadOptions { Dialect = dialect, Defines = defines, Host = host, Optimization = optimization, Root = parse.GetValue(Root)?.FullName };
        var result = file == "-"
            ? PfConfLoader.LoadText(Console.In.ReadToEnd(), "stdin", options)
            : PfConfLoader.LoadFile(file, options);
        if (parse.GetValue(Verbose))
            ctx.Err.WriteLine($"pfsim: dialect {(result.Dialect == PfSim.Rules.Dialect.FreeBsd ? "freebsd" : "openbsd")}" +
                              (dialect == PfSim.Rules.Dialect.Auto ? " (detected from the syntax)" : ""));
        return result;
    }
}
