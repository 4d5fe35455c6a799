using System.CommandLine;

namespace PfSim.Cli;

/// <summary>Where a command writes: stdout and stderr (captured in tests), where it reads stdin, and what is a terminal.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Err)
{
    /// <summary>Opens stdin as bytes (a capture read from '-').</summary>
    public Func<Stream> OpenStdin { get; init; } = Console.OpenStandardInput;
    /// <summary>A person is watching stderr: progress may be drawn there.</summary>
    public bool ErrIsTerminal { get; init; }
    /// <summary>stdout is the same kind of screen: lines printed there would tear a progress bar on stderr.</summary>
    public bool OutIsTerminal { get; init; }
    /// <summary>How long a replay runs before its progress bar appears (short runs never show one).</summary>
    public TimeSpan ProgressAfter { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>Exit codes of the contract (docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The input is wrong or a check failed.</summary>
    public const int Failed = 1;
    /// <summary>Usage error or unreadable file.</summary>
    public const int Usage = 2;
    /// <summary>Stopped by Ctrl-C after printing what was done (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}

/// <summary>Thrown by a command to stop with a message and an exit code (never shown as a stack trace).</summary>
public sealed class CliExit(int code, string? message = null) : Exception(message ?? "")
{
    public int Code { get; } = code;
}

/// <summary>The <c>pfsim</c> command line: builds the command tree and runs it.</summary>
public static class Cli
{
    public static RootCommand Build(CliContext ctx)
    {
        var root = new RootCommand(
            "pfsim: a simulator of the OpenBSD/FreeBSD packet filter.\n" +
            "Reads pf.conf as pfctl does, evaluates packets with pf's state tracking, replays captures,\n" +
            "and models ping/traceroute through a topology, saying for every packet which rule decided and why.");
        foreach (var command in CommandList.Create(ctx))
            root.Add(command);
        return root;
    }

    /// <summary>Runs pfsim with <paramref name="args"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, new CliContext(stdout, stderr)
        {
            ErrIsTerminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected,
            OutIsTerminal = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected,
        });

    /// <summary>Runs pfsim with <paramref name="args"/> in <paramref name="ctx"/> (tests give stdin and terminals there).</summary>
    public static int Run(string[] args, CliContext ctx)
    {
        var (stdout, stderr) = (ctx.Out, ctx.Err);
        try
        {
            var root = Build(ctx);
            var parse = root.Parse(args);
            var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
            if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
            {
                foreach (var e in parse.Errors) stderr.WriteLine($"pfsim: {e.Message}");
                stderr.WriteLine($"Try '{CommandPath(parse)} --help'.");
                return ExitCodes.Usage;
            }
            return parse.Invoke(config);
        }
        catch (CliExit exit)
        {
            if (!string.IsNullOrEmpty(exit.Message)) stderr.WriteLine(exit.Message);
            return exit.Code;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"pfsim: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception ex)
        {
            // Never a stack trace for users; PFSIM_DEBUG=1 shows it for developers.
            stderr.WriteLine($"pfsim: internal error: {ex.GetType().Name}: {ex.Message}");
            if (Environment.GetEnvironmentVariable("PFSIM_DEBUG") == "1") stderr.WriteLine(ex);
            else stderr.WriteLine("pfsim: please report this with the input that caused it (PFSIM_DEBUG=1 shows details).");
            return ExitCodes.Usage;
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Add(r.Command is RootCommand ? "pfsim" : r.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }
}
