using PfSim.Rules;

namespace PfSim.Flows;

/// <summary>One pf.conf a node loads in one ruleset variant: file, dialect and <c>pfctl -D</c> macro overrides.</summary>
public sealed record PfSource(string File, Dialect Dialect, IReadOnlyList<KeyValuePair<string, string>> Defines, int Line);

/// <summary>One named way of configuring pf in the lab (the report's rulesets A, B, C, D): which node loads which file.</summary>
public sealed class RulesetVariant(string name)
{
    public string Name { get; } = name;
    public Dictionary<Node, PfSource> Sources { get; } = new();
}

/// <summary>A tool run the lab asks for, with what the teacher expects per ruleset (true = works).</summary>
public sealed record LabRun(ToolKind Tool, Node From, Address Target, string TargetName, ToolOptions Options, int Line)
{
    public Dictionary<string, bool> Expect { get; init; } = new(StringComparer.Ordinal);
    public string Title => $"{ToolModel.Name(Tool)} from {From.Name} to {TargetName}";
}

/// <summary>A lab: topology, the pf rulesets to compare, and the tool runs to try under each.</summary>
public sealed class Lab
{
    public required string Path { get; init; }
    public string Name { get; init; } = "";
    public string Description { get; init; } = "";
    public required Topology Topology { get; init; }
    public List<RulesetVariant> Rulesets { get; } = [];
    public List<LabRun> Runs { get; } = [];

    /// <summary>The folder relative ruleset files are read from.</summary>
    public string Directory => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path)) ?? ".";

    public string ResolveFile(string file) => System.IO.Path.IsPathRooted(file) ? file : System.IO.Path.Combine(Directory, file);
}

/// <summary>A lab file's errors, each as <c>FILE:LINE: message</c>.</summary>
public sealed class LabFileException(IReadOnlyList<string> errors) : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
