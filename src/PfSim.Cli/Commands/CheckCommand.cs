using System.CommandLine;

namespace PfSim.Cli;

/// <summary><c>pfsim check FILE</c>: parse and expand like <c>pfctl -nf</c>; print nothing but errors.</summary>
internal static class CheckCommand
{
    public static Command Create(CliContext ctx)
    {
        var file = new Argument<string>("FILE") { Description = "The pf.conf to check ('-' reads stdin)." };
        var common = new RulesetOptions();
        var cmd = new Command("check",
            "Check a pf.conf as pfctl -nf does: nothing on success, every error as FILE:LINE: message (exit 1).\n" +
            "Example: pfsim check --dialect freebsd -D ext_if=em0 /etc/pf.conf");
        cmd.Add(file);
        common.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var result = common.Load(parse, ctx, parse.GetValue(file)!);
            foreach (var e in result.Errors) ctx.Err.WriteLine(e);
            return result.Success ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }
}
