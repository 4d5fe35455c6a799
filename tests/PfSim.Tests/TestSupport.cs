namespace PfSim.Tests;

/// <summary>Where the peer material (../shared/peer) and the shipped examples are.</summary>
public static class Peer
{
    /// <summary>The peer folder, or null when it is absent (tests that need it are then skipped).</summary>
    public static string? Dir { get; } = FindUp(Path.Combine("..", "shared", "peer"), Path.Combine("shared", "peer"));

    /// <summary>The repository root (holds PfSim.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>A path under the peer folder; call only from a test that is skipped when the folder is absent.</summary>
    public static string Path_(params string[] parts) => Path.Combine([Dir ?? throw new InvalidOperationException("no ../shared/peer"), .. parts]);

    /// <summary>A path under the repository's captures/ folder.</summary>
    public static string Captures(params string[] parts) => Path.Combine([RepoRoot, "captures", .. parts]);

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PfSim.sln"))) return d.FullName;
        throw new InvalidOperationException("PfSim.sln not found above " + AppContext.BaseDirectory);
    }

    private static string? FindUp(params string[] relatives)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            foreach (var rel in relatives)
            {
                var p = Path.GetFullPath(Path.Combine(d.FullName, rel));
                if (Directory.Exists(p) && File.Exists(Path.Combine(p, "README.md"))) return p;
            }
        return null;
    }

    /// <summary>True when an executable is on PATH.</summary>
    public static bool HasTool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(p => p.Length > 0 && File.Exists(Path.Combine(p, name)));

    /// <summary>PFSIM_LONG=1 turns on long fuzzing and large-scale runs.</summary>
    public static bool Long => Environment.GetEnvironmentVariable("PFSIM_LONG") == "1";
}

/// <summary>A fact that needs ../shared/peer: reported as skipped, with the reason, when it is absent.</summary>
public sealed class PeerFactAttribute : FactAttribute
{
    public PeerFactAttribute()
    {
        if (Peer.Dir is null) Skip = "../shared/peer is absent: peer conformance not run";
    }
}

/// <summary>A theory that needs ../shared/peer (skipped with the reason when it is absent).</summary>
public sealed class PeerTheoryAttribute : TheoryAttribute
{
    public PeerTheoryAttribute()
    {
        if (Peer.Dir is null) Skip = "../shared/peer is absent: peer conformance not run";
    }
}

/// <summary>A fact that needs an external program (tcpdump, tshark): skipped with the reason when it is not installed.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(string tool)
    {
        if (!Peer.HasTool(tool)) Skip = $"{tool} is not installed: this check needs it (.ci/run installs it)";
    }
}

/// <summary>A long run (fuzzing, large rule sets): skipped unless PFSIM_LONG=1; keep a short version in the default run.</summary>
public sealed class LongFactAttribute : FactAttribute
{
    public LongFactAttribute()
    {
        if (!Peer.Long) Skip = "long run: set PFSIM_LONG=1 to run it";
    }
}
