using System.Text;

namespace PfSim.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Into a file or a pipe, stdout is written in large blocks (as C's stdio does) rather than one write per line:
        // a replay prints a line per packet. On a terminal it stays line by line.
        if (!Console.IsOutputRedirected) return Cli.Run(args, Console.Out, Console.Error);
        using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        try { return Cli.Run(args, stdout, Console.Error); }
        finally { stdout.Flush(); }
    }
}
