using PfSim.Syntax;

namespace PfSim.Flows;

/// <summary>Loads a node's pf.conf as pfctl would on that node (its interfaces, <c>-D</c> macros, dialect) and runs it on the engine.</summary>
public sealed class PfFilterFactory(bool explain = true) : IFilterFactory
{
    public IPacketFilter Create(Node node, PfSource source, string path, string text)
    {
        var options = new LoadOptions
        {
            Dialect = source.Dialect,
            Defines = source.Defines.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal),
            Host = node.ToHostModel(),
        };
        var result = PfConfLoader.LoadText(text, path, options);
        if (!result.Success)
            throw new LabFileException(result.Errors.Select(e => e.ToString()).ToList());
        return new PfFilter(result.Config!, explain);
    }
}
