using System.Globalization;
using PfSim.Rules;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PfSim.Flows;

/// <summary>
/// Reads a lab file (YAML written by hand) into a <see cref="Lab"/>. Every mistake is reported, not only the
/// first, as <c>FILE:LINE: message</c>. See captures/labs/seed/lab.yaml for a complete example.
/// </summary>
public static class LabFile
{
    private static readonly HashSet<string> TopKeys = ["name", "description", "latency-ms", "hosts", "routers", "links", "runs"];
    private static readonly HashSet<string> NodeKeys = ["os", "interfaces", "gateway", "routes", "forwarding", "tcp-listen", "udp-listen", "icmp-quote", "pf"];
    private static readonly HashSet<string> PfKeys = ["on", "dialect", "file", "define", "rulesets"];
    private static readonly HashSet<string> RunKeys = ["tool", "from", "to", "count", "max-hops", "queries", "port", "wait", "expect"];

    public static Lab Load(string path) => Parse(File.ReadAllText(path), path);

    public static Lab Parse(string text, string path)
    {
        var r = new Reader(path);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new LabFileException([$"{path}:{e.Start.Line}: {e.InnerException?.Message ?? e.Message}"]); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new LabFileException([$"{path}:1: a lab file is a mapping with hosts:, routers: and runs:"]);
        return r.Read(root);
    }

    private sealed class Reader(string path)
    {
        private readonly List<string> _errors = [];
        private readonly Topology _topology = new();
        private readonly List<(Node Node, YamlMappingNode Pf)> _pf = [];
        private readonly Dictionary<Node, YamlNode> _nodeDecl = new();

        private void Error(YamlNode at, string message) => _errors.Add($"{path}:{at.Start.Line}: {message}");

        public Lab Read(YamlMappingNode root)
        {
            CheckKeys(root, TopKeys, "lab");
            double latency = 0.15;
            if (Get(root, "latency-ms") is { } lat) latency = Number(lat, 0.15);
            var lab = new Lab
            {
                Path = path,
                Name = Get(root, "name") is YamlScalarNode n ? n.Value ?? "" : Path.GetFileNameWithoutExtension(Path.GetDirectoryName(Path.GetFullPath(path)) ?? path),
                Description = (Get(root, "description") as YamlScalarNode)?.Value?.Trim() ?? "",
                Topology = _topology,
            };
            ReadNodes(Get(root, "hosts"), forwards: false);
            ReadNodes(Get(root, "routers"), forwards: true);
            if (_topology.Nodes.Count == 0) Error(root, "the lab has no hosts");
            ReadLinks(Get(root, "links"), latency);
            _topology.ConnectByNetwork(latency / 1000.0);
            CheckGateways();
            ReadRulesets(lab);
            ReadRuns(lab, Get(root, "runs") ?? root);
            if (_errors.Count > 0) throw new LabFileException(_errors);
            return lab;
        }

        private void ReadNodes(YamlNode? node, bool forwards)
        {
            if (node is null) return;
            if (node is not YamlMappingNode map) { Error(node, "expected a mapping of names to host descriptions"); return; }
            foreach (var (k, v) in map.Children)
            {
                var name = ((YamlScalarNode)k).Value ?? "";
                if (_topology.Find(name) is not null) { Error(k, $"'{name}' is defined twice"); continue; }
                if (v is not YamlMappingNode h) { Error(v, $"'{name}': expected os:, interfaces: …"); continue; }
                CheckKeys(h, NodeKeys, name);
                var os = OsKind.Linux;
                if (Get(h, "os") is YamlScalarNode osn && !OsModel.TryParse(osn.Value ?? "", out os))
                    Error(osn, $"unknown os '{osn.Value}' (linux, freebsd, openbsd, windows)");
                bool fwd = forwards;
                if (Get(h, "forwarding") is YamlScalarNode f) fwd = Bool(f);
                var n = new Node(name, OsModel.For(os), fwd);
                _nodeDecl[n] = k;
                ReadInterfaces(n, Get(h, "interfaces"), k);
                if (Get(h, "gateway") is YamlScalarNode gw && Addr(gw) is Address g)
                    n.Routes.Add(new StaticRoute(Address.Parse(g.IsV4 ? "0.0.0.0" : "::"), 0, g));
                if (Get(h, "routes") is YamlMappingNode routes)
                    foreach (var (rk, rv) in routes.Children)
                        if (Prefix((YamlScalarNode)rk) is var (net, len) && Addr((YamlScalarNode)rv) is Address via)
                            n.Routes.Add(new StaticRoute(net, len, via));
                foreach (var p in Ports(Get(h, "tcp-listen"))) n.TcpListening.Add(p);
                foreach (var p in Ports(Get(h, "udp-listen"))) n.UdpListening.Add(p);
                if (Get(h, "icmp-quote") is YamlScalarNode q) n.IcmpQuoteOverride = (int)Number(q, 8);
                if (Get(h, "pf") is YamlMappingNode pf) _pf.Add((n, pf));
                else if (Get(h, "pf") is { } bad) Error(bad, "pf: expected a mapping (file: or rulesets:, dialect:, on:)");
                _topology.Nodes.Add(n);
            }
        }

        private void ReadInterfaces(Node n, YamlNode? node, YamlNode at)
        {
            if (node is not YamlMappingNode map || map.Children.Count == 0) { Error(node ?? at, $"'{n.Name}' needs interfaces: (name: address/prefix)"); return; }
            foreach (var (k, v) in map.Children)
            {
                var ifname = ((YamlScalarNode)k).Value ?? "";
                if (v is not YamlScalarNode s || Prefix(s) is not var (a, len)) continue;
                if (!a.IsV4) { Error(v, $"{n.Name}.{ifname}: only IPv4 labs are modeled so far"); continue; }
                if (_topology.Owner(a) is { } other) { Error(v, $"address {a} is already {other.Name}'s"); continue; }
                n.AddInterface(ifname, a, len);
            }
        }

        private void ReadLinks(YamlNode? node, double latencyMs)
        {
            if (node is null) return;
            if (node is not YamlSequenceNode seq) { Error(node, "links: expected a list"); return; }
            int i = 0;
            foreach (var item in seq.Children)
            {
                i++;
                var members = new List<NodeInterface>();
                double lat = latencyMs;
                YamlNode? connect = item;
                string name = $"link{i}";
                if (item is YamlMappingNode m)
                {
                    connect = Get(m, "connect");
                    if (Get(m, "latency-ms") is { } l) lat = Number(l, latencyMs);
                    if (Get(m, "name") is YamlScalarNode nm) name = nm.Value ?? name;
                }
                if (connect is not YamlSequenceNode ends) { Error(item, "a link lists interfaces as [host.ifname, …] or connect: [...]"); continue; }
                foreach (var e in ends.Children.OfType<YamlScalarNode>())
                {
                    var parts = (e.Value ?? "").Split('.', 2);
                    var itf = parts.Length == 2 ? _topology.Find(parts[0])?.FindInterface(parts[1]) : null;
                    if (itf is null) Error(e, $"no interface '{e.Value}' (write host.ifname)");
                    else if (itf.Segment is not null) Error(e, $"{e.Value} is on two links");
                    else members.Add(itf);
                }
                if (members.Count > 0) _topology.AddSegment(name, lat / 1000.0, members);
            }
        }

        private void CheckGateways()
        {
            foreach (var n in _topology.Nodes)
                foreach (var r in n.Routes)
                    if (n.Route(r.Gateway) is not { } via || via.NextHop != r.Gateway || via.Out.Segment?.Owner(r.Gateway) is null)
                        Error(_nodeDecl[n], $"{n.Name}: gateway {r.Gateway} is not on any of its links");
        }

        private void ReadRulesets(Lab lab)
        {
            foreach (var (node, pf) in _pf)
            {
                CheckKeys(pf, PfKeys, $"{node.Name}.pf");
                var dialect = Dialect.Auto;
                if (Get(pf, "dialect") is YamlScalarNode d)
                {
                    dialect = (d.Value ?? "").ToLowerInvariant() switch { "freebsd" => Dialect.FreeBsd, "openbsd" => Dialect.OpenBsd, "auto" => Dialect.Auto, _ => Bad(d) };
                    Dialect Bad(YamlNode at) { Error(at, $"unknown dialect '{d.Value}' (openbsd, freebsd, auto)"); return Dialect.Auto; }
                }
                if (Get(pf, "on") is YamlSequenceNode on)
                {
                    node.PfInterfaces = [];
                    foreach (var e in on.Children.OfType<YamlScalarNode>())
                    {
                        if (node.FindInterface(e.Value ?? "") is null) Error(e, $"{node.Name} has no interface '{e.Value}'");
                        node.PfInterfaces.Add(e.Value ?? "");
                    }
                }
                var baseDefines = Defines(Get(pf, "define"));
                if (Get(pf, "file") is YamlScalarNode file)
                    Variant(lab, Get(pf, "rulesets") is null ? Path.GetFileNameWithoutExtension(file.Value ?? "") : "*").Sources[node] = Source(lab, file, dialect, baseDefines);
                if (Get(pf, "rulesets") is YamlMappingNode sets)
                {
                    foreach (var (k, v) in sets.Children)
                    {
                        var name = ((YamlScalarNode)k).Value ?? "";
                        var src = v switch
                        {
                            YamlScalarNode f => Source(lab, f, dialect, baseDefines),
                            YamlMappingNode m when Get(m, "file") is YamlScalarNode f => Source(lab, f, Get(m, "dialect") is YamlScalarNode dd && dd.Value == "openbsd" ? Dialect.OpenBsd : Get(m, "dialect") is YamlScalarNode d2 && d2.Value == "freebsd" ? Dialect.FreeBsd : dialect, [.. baseDefines, .. Defines(Get(m, "define"))]),
                            _ => null,
                        };
                        if (src is null) { Error(v, $"ruleset '{name}': write a file name or {{ file: F, define: {{ macro: value }} }}"); continue; }
                        Variant(lab, name).Sources[node] = src;
                    }
                }
                else if (Get(pf, "file") is null) Error(pf, $"{node.Name}.pf: give file: or rulesets:");
            }
            // A node with one file (no named rulesets) runs it in every variant.
            var shared = lab.Rulesets.FirstOrDefault(v => v.Name == "*");
            if (shared is not null)
            {
                lab.Rulesets.Remove(shared);
                if (lab.Rulesets.Count == 0) lab.Rulesets.Add(new RulesetVariant(Path.GetFileNameWithoutExtension(shared.Sources.Values.First().File)));
                foreach (var v in lab.Rulesets)
                    foreach (var (n, s) in shared.Sources)
                        v.Sources.TryAdd(n, s);
            }
            foreach (var (node, pf) in _pf)
                foreach (var v in lab.Rulesets)
                    if (!v.Sources.ContainsKey(node)) Error(pf, $"{node.Name} runs pf but has no file for ruleset '{v.Name}'");
            if (lab.Rulesets.Count == 0) lab.Rulesets.Add(new RulesetVariant("no pf"));
        }

        private static RulesetVariant Variant(Lab lab, string name)
        {
            var v = lab.Rulesets.FirstOrDefault(x => x.Name == name);
            if (v is null) lab.Rulesets.Add(v = new RulesetVariant(name));
            return v;
        }

        private PfSource Source(Lab lab, YamlScalarNode file, Dialect dialect, IReadOnlyList<KeyValuePair<string, string>> defines)
        {
            var f = file.Value ?? "";
            if (!File.Exists(lab.ResolveFile(f))) Error(file, $"cannot open ruleset '{f}'");
            return new PfSource(f, dialect, defines, (int)file.Start.Line);
        }

        private List<KeyValuePair<string, string>> Defines(YamlNode? node)
        {
            var list = new List<KeyValuePair<string, string>>();
            if (node is null) return list;
            if (node is not YamlMappingNode m) { Error(node, "define: expected a mapping macro: value (as pfctl -D macro=value)"); return list; }
            foreach (var (k, v) in m.Children)
                list.Add(new(((YamlScalarNode)k).Value ?? "", (v as YamlScalarNode)?.Value ?? ""));
            return list;
        }

        private void ReadRuns(Lab lab, YamlNode node)
        {
            if (node is not YamlSequenceNode seq) { Error(node, "runs: expected a list of { tool:, from:, to: }"); return; }
            foreach (var item in seq.Children)
            {
                if (item is not YamlMappingNode m) { Error(item, "a run is { tool: ping, from: HOST, to: HOST }"); continue; }
                CheckKeys(m, RunKeys, "run");
                var toolNode = Get(m, "tool") as YamlScalarNode;
                if (toolNode is null || !ToolModel.TryParse(toolNode.Value ?? "", out var tool))
                {
                    Error(toolNode ?? (YamlNode)m, $"unknown tool '{toolNode?.Value}' (ping, tracert, traceroute, traceroute-I, traceroute-T)");
                    continue;
                }
                var fromNode = Get(m, "from") as YamlScalarNode;
                var from = fromNode is null ? null : _topology.Find(fromNode.Value ?? "");
                if (from is null) { Error(fromNode ?? (YamlNode)m, $"from: no host '{fromNode?.Value}'"); continue; }
                if (!ToolModel.Available(tool, from.Os.Kind)) { Error(toolNode, $"{ToolModel.Name(tool)} does not exist on {from.Os} ({from.Name})"); continue; }
                var toNode = Get(m, "to") as YamlScalarNode;
                Address target = default;
                string targetName = toNode?.Value ?? "";
                if (_topology.Find(targetName) is { Interfaces.Count: > 0 } t) target = t.PrimaryAddress;
                else if (!Address.TryParse(targetName, out target)) { Error(toNode ?? (YamlNode)m, $"to: no host or address '{targetName}'"); continue; }
                var options = new ToolOptions
                {
                    Count = Get(m, "count") is { } c ? (int)Number(c, 4) : null,
                    MaxHops = Get(m, "max-hops") is { } mh ? (int)Number(mh, 30) : null,
                    Queries = Get(m, "queries") is { } q ? (int)Number(q, 3) : null,
                    Port = Get(m, "port") is { } p ? (ushort)Number(p, 0) : null,
                    WaitSeconds = Get(m, "wait") is { } w ? Number(w, 5) : null,
                };
                var run = new LabRun(tool, from, target, targetName, options, (int)item.Start.Line);
                if (Get(m, "expect") is YamlMappingNode ex)
                    foreach (var (k, v) in ex.Children)
                    {
                        var rs = ((YamlScalarNode)k).Value ?? "";
                        if (lab.Rulesets.All(x => x.Name != rs)) Error(k, $"expect: no ruleset '{rs}'");
                        var word = (v as YamlScalarNode)?.Value ?? "";
                        if (word is "works" or "yes" or "true") run.Expect[rs] = true;
                        else if (word is "fails" or "no" or "false") run.Expect[rs] = false;
                        else Error(v, $"expect: write works or fails, not '{word}'");
                    }
                lab.Runs.Add(run);
            }
            if (seq.Children.Count == 0) Error(node, "the lab has no runs");
        }

        private static YamlNode? Get(YamlMappingNode m, string key) =>
            m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        private void CheckKeys(YamlMappingNode m, HashSet<string> allowed, string what)
        {
            foreach (var k in m.Children.Keys)
                if (k is not YamlScalarNode s || !allowed.Contains(s.Value ?? ""))
                    Error(k, $"{what}: unknown key '{(k as YamlScalarNode)?.Value}' (expected {string.Join(", ", allowed)})");
        }

        private Address? Addr(YamlScalarNode s)
        {
            if (Address.TryParse(s.Value ?? "", out var a)) return a;
            Error(s, $"'{s.Value}' is not an address");
            return null;
        }

        private (Address, int)? Prefix(YamlScalarNode s)
        {
            var text = s.Value ?? "";
            var slash = text.IndexOf('/');
            if (slash > 0 && Address.TryParse(text[..slash], out var a) && int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var len) && len <= a.Bits)
                return (a, len);
            if (slash < 0 && Address.TryParse(text, out a)) return (a, a.Bits);
            Error(s, $"'{text}' is not address/prefix");
            return null;
        }

        private double Number(YamlNode n, double fallback)
        {
            if (n is YamlScalarNode s && double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0) return d;
            Error(n, "expected a number");
            return fallback;
        }

        private bool Bool(YamlScalarNode s)
        {
            if (s.Value is "true" or "yes") return true;
            if (s.Value is "false" or "no") return false;
            Error(s, "expected true or false");
            return false;
        }

        private IEnumerable<ushort> Ports(YamlNode? node)
        {
            if (node is null) yield break;
            if (node is not YamlSequenceNode seq) { Error(node, "expected a list of ports"); yield break; }
            foreach (var e in seq.Children)
                if (e is YamlScalarNode s && ushort.TryParse(s.Value, out var p)) yield return p;
                else Error(e, "expected a port number");
        }
    }
}
