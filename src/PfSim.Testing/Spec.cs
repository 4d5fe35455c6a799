using System.Text.RegularExpressions;
using PfSim.Rules;
using YamlDotNet.RepresentationModel;

namespace PfSim.Testing;

/// <summary>A spec file is wrong (YAML, missing keys): the message says where.</summary>
public sealed class SpecException(string message) : Exception(message);

/// <summary>
/// A test spec as administrators write it (YAML):
/// <code>
/// ruleset: ../labs/seed/C.conf     # relative to the spec file
/// dialect: freebsd                 # openbsd, freebsd or auto (the default)
/// interface: bge0                  # where packets arrive when an expectation names no interface
/// expect:
///   - icmp from 192.168.40.1 to 192.168.50.1 icmp-type echoreq: pass
///   - property: tcp from any to any port 23: block
///   - flow: tcp from 192.168.40.0/24 to 192.168.50.1 port 22: passes both ways
/// </code>
/// </summary>
public sealed partial record Spec(string File, string Ruleset, Dialect Dialect, string? HostFile, string? Interface, int Samples, IReadOnlyList<Expectation> Expectations)
{
    public static Spec Load(string path) => Parse(System.IO.File.ReadAllText(path), path);

    public static Spec Parse(string text, string path)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(QuoteExpectations(text))); }
        catch (YamlDotNet.Core.YamlException e) { throw new SpecException($"{path}:{e.Start.Line}: {e.Message}"); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new SpecException($"{path}: a spec is a YAML mapping with 'ruleset' and 'expect'");
        string? Get(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlScalarNode s ? s.Value : null;
        var ruleset = Get("ruleset") ?? throw new SpecException($"{path}: missing 'ruleset: FILE'");
        var dialect = (Get("dialect") ?? "auto") switch
        {
            "openbsd" => Dialect.OpenBsd,
            "freebsd" => Dialect.FreeBsd,
            "auto" => Dialect.Auto,
            var d => throw new SpecException($"{path}: unknown dialect '{d}' (openbsd, freebsd or auto)"),
        };
        int samples = int.TryParse(Get("samples"), out var n) && n > 0 ? n : 200;
        if (!root.Children.TryGetValue(new YamlScalarNode("expect"), out var list) || list is not YamlSequenceNode seq)
            throw new SpecException($"{path}: missing 'expect:' with a list of expectations");
        var expectations = new List<Expectation>();
        foreach (var item in seq)
        {
            int line = (int)item.Start.Line;
            string entry = item switch
            {
                YamlScalarNode s => s.Value ?? "",
                YamlMappingNode m when m.Children.Count == 1 => $"{m.Children.First().Key}: {m.Children.First().Value}",
                _ => throw new SpecException($"{path}:{line}: an expectation is one line 'WHAT: OUTCOME'"),
            };
            expectations.Add(Expectation.Parse(entry, path, line));
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var host = Get("host");
        return new Spec(path, Path.GetFullPath(Path.Combine(dir, ruleset)), dialect,
            host is null ? null : Path.GetFullPath(Path.Combine(dir, host)), Get("interface"), samples, expectations);
    }

    /// <summary>Expectation lines hold ": " more than once ("property: tcp …: block"), which plain YAML refuses; quote them.</summary>
    private static string QuoteExpectations(string text)
    {
        var lines = text.Split('\n');
        bool inExpect = false;
        for (int i = 0; i < lines.Length; i++)
        {
            var l = lines[i].TrimEnd('\r');
            if (ExpectKey().IsMatch(l)) { inExpect = true; continue; }
            if (l.Length > 0 && !char.IsWhiteSpace(l[0]) && !l.StartsWith('-') && !l.StartsWith('#')) inExpect = false;
            var m = ListItem().Match(l);
            if (!inExpect || !m.Success) continue;
            var body = m.Groups[2].Value;
            int hash = body.IndexOf(" #", StringComparison.Ordinal);
            if (hash >= 0) body = body[..hash];
            body = body.TrimEnd();
            if (body.StartsWith('\'') || body.StartsWith('"')) continue;
            lines[i] = $"{m.Groups[1].Value}- '{body.Replace("'", "''")}'";
        }
        return string.Join('\n', lines);
    }

    [GeneratedRegex(@"^expect\s*:\s*$")]
    private static partial Regex ExpectKey();

    [GeneratedRegex(@"^(\s*)-\s+(.+)$")]
    private static partial Regex ListItem();
}

public enum ExpectationKind : byte
{
    /// <summary>Every first packet of the set is decided so (exact, over header space).</summary>
    Packets,
    /// <summary>Generated packets of the set, through the engine (FsCheck, shrunk witness).</summary>
    Property,
    /// <summary>Generated flows (tcp, udp, dns, ping) pass both ways, or are blocked.</summary>
    Flow,
    /// <summary>A traceroute through the lab topology reaches its target.</summary>
    Traceroute,
}

/// <summary>One line of a spec: what, and the outcome expected.</summary>
public sealed partial record Expectation(string Text, ExpectationKind Kind, string Subject, string Outcome, string File, int Line)
{
    public static Expectation Parse(string text, string file, int line)
    {
        text = text.Trim();
        int cut = text.LastIndexOf(": ", StringComparison.Ordinal);
        if (cut < 0) throw new SpecException($"{file}:{line}: expected 'WHAT: OUTCOME', e.g. 'tcp from any to 10.0.0.1 port 22: pass'");
        var subject = text[..cut].Trim();
        var outcome = text[(cut + 2)..].Trim().ToLowerInvariant();
        var kind = ExpectationKind.Packets;
        var prefix = Prefix().Match(subject);
        if (prefix.Success)
        {
            kind = prefix.Groups[1].Value == "property" ? ExpectationKind.Property : ExpectationKind.Flow;
            subject = subject[prefix.Length..].Trim();
        }
        else if (subject.StartsWith("traceroute ", StringComparison.Ordinal)) kind = ExpectationKind.Traceroute;
        string[] allowed = kind switch
        {
            ExpectationKind.Flow => ["passes both ways", "blocked"],
            ExpectationKind.Traceroute => ["reaches", "does not reach"],
            _ => ["pass", "block"],
        };
        if (!allowed.Contains(outcome))
            throw new SpecException($"{file}:{line}: outcome '{outcome}' is not one of: {string.Join(", ", allowed)}");
        return new Expectation(text, kind, subject, outcome, file, line);
    }

    [GeneratedRegex(@"^(property|flow)\s*:\s*")]
    private static partial Regex Prefix();
}
