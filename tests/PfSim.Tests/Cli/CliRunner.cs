namespace PfSim.Tests.Cli;

/// <summary>Runs pfsim in-process and captures what it prints.</summary>
public static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = PfSim.Cli.Cli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
