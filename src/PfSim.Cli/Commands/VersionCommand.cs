using System.CommandLine;

namespace PfSim.Cli;

/// <summary><c>pfsim version</c>: the tool's version.</summary>
internal static class VersionCommand
{
    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("version", "Print pfsim's version.");
        cmd.SetAction(_ =>
        {
            var v = typeof(Cli).Assembly.GetName().Version;
            ctx.Out.WriteLine($"pfsim {v?.ToString(3)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
