namespace PfSim.Tests.Syntax;

/// <summary>
/// The one list of conformance cases that cannot pass yet, each with the reason. It shrinks; a case
/// that starts passing must be removed (the conformance tests fail until it is).
/// Keys are "suite/kind/case", e.g. "pfctl-openbsd/print/pf42".
/// </summary>
public static class ConformanceExceptions
{
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>
    {
        ["pfctl-openbsd/optimize/pf9"] = "neither pf9.in nor pf9.ok is in the peer snapshot (SOURCES.md: the index lacks them), so there is nothing to load",
        ["pfctl-openbsd/print/pf95"] = "pf95.include is not in the peer snapshot (SOURCES.md: the index lacks it)",
    };
}
