using PfSim.Syntax;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PfSim.Rules;

/// <summary>
/// Reads a host model from YAML (<c>--host FILE</c>):
/// <code>
/// interfaces:
///   - name: em0
///     addresses: [192.0.2.1/24, 2001:db8::1/64]
///     groups: [egress]
///     peer: 192.0.2.254          # point-to-point interfaces
///     broadcast: 192.0.2.255     # optional; computed for IPv4 when absent
/// routes:                        # for no-route and urpf-failed; the interfaces' networks are routes already
///   - to: default                # or a network, e.g. 198.51.100.0/24
///     interface: em0
///     via: 192.0.2.254           # optional gateway
/// hosts:
///   www.example.org: [192.0.2.80]
/// users: { root: 0, www: 67 }
/// groups: { wheel: 0 }
/// </code>
/// Users and groups not named keep the stock system's; errors are reported as FILE:LINE: message.
/// </summary>
public static class HostModelLoader
{
    public static (HostModel? Model, IReadOnlyList<ParseError> Errors) LoadFile(string path) => LoadText(File.ReadAllText(path), path);

    public static (HostModel? Model, IReadOnlyList<ParseError> Errors) LoadText(string text, string fileName)
    {
        var errors = new List<ParseError>();
        var model = new HostModel();
        foreach (var (k, v) in HostModel.Default.Users) model.Users[k] = v;
        foreach (var (k, v) in HostModel.Default.Groups) model.Groups[k] = v;
        void Err(YamlNode n, string m) => errors.Add(new ParseError(fileName, (int)n.Start.Line, m));
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e)
        {
            errors.Add(new ParseError(fileName, (int)e.Start.Line, e.InnerException?.Message ?? e.Message));
            return (null, errors);
        }
        if (stream.Documents.Count == 0) return (model, errors);
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Err(stream.Documents[0].RootNode, "expected a mapping with interfaces, hosts, users, groups");
            return (null, errors);
        }
        foreach (var (keyNode, value) in root.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            switch (key)
            {
                case "interfaces":
                    if (value is not YamlSequenceNode seq) { Err(value, "interfaces must be a list"); break; }
                    foreach (var item in seq) Interface(item, model, Err);
                    break;
                case "routes":
                    if (value is not YamlSequenceNode rseq) { Err(value, "routes must be a list"); break; }
                    foreach (var item in rseq) Route(item, model, Err);
                    break;
                case "hosts":
                    if (value is not YamlMappingNode hosts) { Err(value, "hosts must be a mapping of name to addresses"); break; }
                    foreach (var (hk, hv) in hosts.Children)
                    {
                        var list = new List<Address>();
                        foreach (var s in Scalars(hv))
                        {
                            if (Address.TryParse(s.Value ?? "", out var a)) list.Add(a);
                            else Err(s, $"not an IP address: '{s.Value}'");
                        }
                        model.Hosts[((YamlScalarNode)hk).Value ?? ""] = list;
                    }
                    break;
                case "users":
                case "groups":
                    if (value is not YamlMappingNode ids) { Err(value, $"{key} must be a mapping of name to id"); break; }
                    foreach (var (ik, iv) in ids.Children)
                    {
                        if (iv is YamlScalarNode sv && uint.TryParse(sv.Value, out var id))
                            (key == "users" ? model.Users : model.Groups)[((YamlScalarNode)ik).Value ?? ""] = id;
                        else Err(iv, $"{key}: expected a number");
                    }
                    break;
                default:
                    Err(keyNode, $"unknown key '{key}' (interfaces, routes, hosts, users, groups)");
                    break;
            }
        }
        return (errors.Count == 0 ? model : null, errors);
    }

    private static IEnumerable<YamlScalarNode> Scalars(YamlNode n) => n switch
    {
        YamlScalarNode s => [s],
        YamlSequenceNode q => q.Children.OfType<YamlScalarNode>(),
        _ => [],
    };

    private static void Route(YamlNode item, HostModel model, Action<YamlNode, string> err)
    {
        if (item is not YamlMappingNode m) { err(item, "a route is a mapping with to, interface and optional via"); return; }
        string? to = null, itf = null;
        Address? via = null;
        foreach (var (k, v) in m.Children)
        {
            switch ((k as YamlScalarNode)?.Value)
            {
                case "to": to = (v as YamlScalarNode)?.Value; break;
                case "interface": itf = (v as YamlScalarNode)?.Value; break;
                case "via":
                    if (v is YamlScalarNode gs && Address.TryParse(gs.Value ?? "", out var g)) via = g; else err(v, "via: not an IP address");
                    break;
                default: err(k, $"unknown route key '{(k as YamlScalarNode)?.Value}' (to, interface, via)"); break;
            }
        }
        if (string.IsNullOrEmpty(itf)) { err(item, "a route needs an interface"); return; }
        if (to is null) { err(item, "a route needs 'to' (a network or default)"); return; }
        if (to is "default" or "default6")
        {
            // "default" is the IPv4 default route unless the gateway is IPv6; "default6" is ::/0.
            bool v6 = to == "default6" || via is { IsV4: false };
            model.Routes.Add(new HostRoute(Address.Parse(v6 ? "::" : "0.0.0.0"), 0, itf, via));
            return;
        }
        int slash = to.IndexOf('/');
        if (!Address.TryParse(slash < 0 ? to : to[..slash], out var a)) { err(item, $"not a network: '{to}'"); return; }
        int prefix = a.Bits;
        if (slash >= 0 && (!int.TryParse(to[(slash + 1)..], out prefix) || prefix < 0 || prefix > a.Bits))
        {
            err(item, $"bad prefix length in '{to}'");
            return;
        }
        model.Routes.Add(new HostRoute(a, prefix, itf, via));
    }

    private static void Interface(YamlNode item, HostModel model, Action<YamlNode, string> err)
    {
        if (item is not YamlMappingNode m) { err(item, "an interface is a mapping with name, addresses, groups"); return; }
        string? name = null;
        var addrs = new List<InterfaceAddress>();
        var groups = new List<string>();
        Address? peer = null, broadcast = null;
        foreach (var (k, v) in m.Children)
        {
            switch ((k as YamlScalarNode)?.Value)
            {
                case "name": name = (v as YamlScalarNode)?.Value; break;
                case "groups": groups.AddRange(Scalars(v).Select(s => s.Value ?? "")); break;
                case "peer":
                    if (v is YamlScalarNode ps && Address.TryParse(ps.Value ?? "", out var pa)) peer = pa; else err(v, "peer: not an IP address");
                    break;
                case "broadcast":
                    if (v is YamlScalarNode bs && Address.TryParse(bs.Value ?? "", out var ba)) broadcast = ba; else err(v, "broadcast: not an IP address");
                    break;
                case "addresses":
                    foreach (var s in Scalars(v))
                    {
                        var text = s.Value ?? "";
                        int slash = text.IndexOf('/');
                        string at = slash < 0 ? text : text[..slash];
                        if (!Address.TryParse(at, out var a)) { err(s, $"not an IP address: '{text}'"); continue; }
                        int prefix = a.Bits;
                        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], out prefix) || prefix < 0 || prefix > a.Bits))
                        {
                            err(s, $"bad prefix length in '{text}'");
                            continue;
                        }
                        addrs.Add(new InterfaceAddress(a, prefix));
                    }
                    break;
                default: err(k, $"unknown interface key '{(k as YamlScalarNode)?.Value}'"); break;
            }
        }
        if (string.IsNullOrEmpty(name)) { err(item, "an interface needs a name"); return; }
        for (int i = 0; i < addrs.Count; i++)
        {
            var a = addrs[i];
            Address? bc = a.Address.IsV4 ? broadcast ?? (a.Prefix < 31 ? a.Address.Last(a.Prefix) : null) : null;
            addrs[i] = a with { Peer = peer, Broadcast = bc };
        }
        string driver = HostModel.DriverGroup(name);
        if (driver.Length > 0 && !groups.Contains(driver)) groups.Insert(0, driver);
        model.Interfaces.Add(new HostInterface(name, addrs, groups));
    }
}
