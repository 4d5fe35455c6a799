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
        ["pfctl-freebsd/print/pf0089"] = "FreeBSD 12 prints overload <t> flush global options after synproxy with a separator quirk not modelled yet",
        ["pfctl-freebsd/print/pf1003"] = "ALTQ (altq on … cbq) statements are parsed but not printed: PfSim does not model queueing",
        ["pfctl-freebsd/print/pf1004"] = "ALTQ (altq on … codel) statements are parsed but not printed: PfSim does not model queueing",
        ["pfctl-freebsd/selfpf/pf0089"] = "FreeBSD 12 prints overload <t> flush global options after synproxy with a separator quirk not modelled yet",
        ["pfctl-freebsd/selfpf/pf1003"] = "ALTQ (altq on … cbq) statements are parsed but not printed: PfSim does not model queueing",
        ["pfctl-freebsd/selfpf/pf1004"] = "ALTQ (altq on … codel) statements are parsed but not printed: PfSim does not model queueing",
        ["pfctl-openbsd/fail/pfail11"] = "comma-separated set timeout/limit lists without braces must be syntax errors",
        ["pfctl-openbsd/fail/pfail17"] = "second error line of this case not reproduced",
        ["pfctl-openbsd/fail/pfail19"] = "binat-to consistency checks (source/redirect masks, tables) not implemented",
        ["pfctl-openbsd/fail/pfail30"] = "binat-to consistency checks (interfaces, masks, af) not implemented",
        ["pfctl-openbsd/fail/pfail42"] = "netmask-too-long-for-IPv4 check not implemented",
        ["pfctl-openbsd/fail/pfail53"] = "numeric overload table names and yacc recovery differ on this case",
        ["pfctl-openbsd/fail/pfail54"] = "queue names are not checked against queue definitions",
        ["pfctl-openbsd/fail/pfail55"] = "divert-to family mismatch is reported with extra expansion lines",
        ["pfctl-openbsd/fail/pfail59"] = "queue definitions are not validated (bandwidth)",
        ["pfctl-openbsd/fail/pfail6"] = "icmp6-type on an inet icmp rule must be an icmp-type mismatch",
        ["pfctl-openbsd/fail/pfail60"] = "queue definitions are not validated (flow queue leaf)",
        ["pfctl-openbsd/fail/pfail61"] = "queue definitions are not validated (default queue leaf)",
        ["pfctl-openbsd/fail/pfail62"] = "queue definitions are not validated (no bandwidth or flows)",
        ["pfctl-openbsd/fail/pfail66"] = "divert direction errors are reported with extra expansion lines",
        ["pfctl-openbsd/fail/pfail67"] = "divert direction errors are reported with extra expansion lines",
        ["pfctl-openbsd/fail/pfail7"] = "icmp-type on an ipv6-icmp rule must be an icmp-type mismatch",
        ["pfctl-openbsd/print/pf103"] = "queue statements (OpenBSD hfsc/flows queues) are parsed but not printed yet",
        ["pfctl-openbsd/print/pf46"] = "route-to pool with source-hash KEY: the key is printed as its MD5 digest; not implemented",
        ["pfctl-openbsd/print/pf95"] = "pf95.include is not in the peer snapshot (SOURCES.md: the index lacks it)",
        ["pfctl-openbsd/selfpf/pf103"] = "queue statements (OpenBSD hfsc/flows queues) are parsed but not printed yet",
        ["pfctl-openbsd/selfpf/pf105"] = "queue statements are parsed but not printed yet",
        ["pfctl-openbsd/selfpf/pf106"] = "queue statements are parsed but not printed yet",
        ["pfctl-openbsd/selfpf/pf108"] = "queue statements are parsed but not printed yet",
        ["pfctl-openbsd/selfpf/pf109"] = "queue statements are parsed but not printed yet",
        ["pfctl-openbsd/selfpf/pf110"] = "queue statements are parsed but not printed yet",
        ["pfctl-openbsd/selfpf/pf111"] = "queue statements are parsed but not printed yet",
    };
}
