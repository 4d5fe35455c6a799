using System.CommandLine;
using PfSim.Rules;

namespace PfSim.Cli;

/// <summary><c>pfsim print FILE</c>: the loaded ruleset as <c>pfctl -nvf FILE</c> prints it.</summary>
internal static class PrintCommand
{
    public static Command Create(CliContext ctx)
    {
        var file = new Argument<string>("FILE") { Description = "The pf.conf to print ('-' reads stdin)." };
        var numbers = new Option<bool>("--numbers")
        {
            Description = "Prefix every rule with its @N number, as pfctl -nvv and pflog show it.",
        };
        var loaded = new Option<bool>("--loaded")
        {
            Description = "Print the main ruleset as the kernel holds it once loaded, as pfctl -gvvsr lists it: @N, " +
                          "table and interface address counts, skip steps, queue, and zero counters.",
        };
        var compiled = new Option<bool>("--compiled")
        {
            Description = "Then describe the compiled evaluator: skip steps or cut trees, sizes, and the rules where it falls back to the walk.",
        };
        var common = new RulesetOptions();
        var cmd = new Command("print",
            "Print a pf.conf as pfctl -nvf prints it: macros, options and tables as read, then every expanded rule.\n" +
            "Example: pfsim print --numbers captures/labs/seed/D.conf\n" +
            "Example: pfsim print --optimize basic --loaded captures/labs/seed/D.conf");
        cmd.Add(file);
        cmd.Add(numbers);
        cmd.Add(loaded);
        cmd.Add(compiled);
        common.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var result = common.Load(parse, ctx, parse.GetValue(file)!);
            foreach (var e in result.Errors) ctx.Err.WriteLine(e);
            if (result.Config is not null && result.Success)
            {
                ctx.Out.Write(parse.GetValue(loaded)
                    ? LoadedPrinter.Print(result.Config)
                    : ConfigPrinter.Print(result.Config, parse.GetValue(numbers)));
                if (parse.GetValue(compiled)) ctx.Out.Write(new PfSim.Compile.CompiledRuleset(result.Config).Describe());
            }
            else if (result.Config is not null)
            {
                // pfctl prints what it printed while parsing, then stops: nothing is loaded.
                foreach (var line in result.Config.Printed) ctx.Out.WriteLine(line);
            }
            return result.Success ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }
}
