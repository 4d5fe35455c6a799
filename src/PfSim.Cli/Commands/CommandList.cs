using System.CommandLine;

namespace PfSim.Cli;

/// <summary>Every pfsim command, in the order --help lists them. One line per command; each lives in its own file.</summary>
internal static class CommandList
{
    public static IEnumerable<Command> Create(CliContext ctx)
    {
        yield return VersionCommand.Create(ctx);
        yield return CheckCommand.Create(ctx);
        yield return PrintCommand.Create(ctx);
        yield return EvalCommand.Create(ctx);
        yield return ReplayCommand.Create(ctx);
        yield return LabCommand.Create(ctx);
        yield return DiffCommand.Create(ctx);
        yield return LintCommand.Create(ctx);
    }
}
