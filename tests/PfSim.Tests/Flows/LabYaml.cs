namespace PfSim.Tests.Flows;

/// <summary>Lab files used by the flow tests.</summary>
internal static class LabYaml
{
    /// <summary>The peer's namespace topology (generated/make-captures.sh): client — router1 — router2 — server, all Linux.</summary>
    public const string PeerTopology = """
        name: peer-namespaces
        latency-ms: 0.01
        hosts:
          client:
            os: linux
            interfaces: { c0: 10.99.1.2/24 }
            gateway: 10.99.1.1
          server:
            os: linux
            interfaces: { s0: 10.99.3.2/24 }
            gateway: 10.99.3.1
            tcp-listen: [8080]
        routers:
          router1:
            os: linux
            interfaces: { r1a: 10.99.1.1/24, r1b: 10.99.2.1/24 }
            routes: { 10.99.3.0/24: 10.99.2.2 }
          router2:
            os: linux
            interfaces: { r2a: 10.99.2.2/24, r2b: 10.99.3.1/24 }
            routes: { 10.99.1.0/24: 10.99.2.1 }
        runs:
          - { tool: ping, from: client, to: server, count: 3 }
          - { tool: traceroute, from: client, to: server }
          - { tool: traceroute-I, from: client, to: server }
          - { tool: traceroute-T, from: client, to: server }
          - { tool: traceroute-T, from: client, to: server, port: 8080 }
        """;
}
