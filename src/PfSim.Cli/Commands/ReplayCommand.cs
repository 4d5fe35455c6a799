using System.CommandLine;
using System.Globalization;
using PfSim.Captures;
using PfSim.Engine;

namespace PfSim.Cli;

/// <summary>
/// <c>pfsim replay -f pf.conf CAPTURE…</c>: every packet of pcap/pcapng/pflog captures through the ruleset, with state,
/// printed like <c>tcpdump -n -e -ttt</c> with the verdict; then a per-rule summary like <c>pfctl -vsr</c>.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create(CliContext ctx)
    {
        var ruleset = new Option<string>("-f", "--file") { Description = "The pf.conf to replay through.", Required = true };
        var common = new RulesetOptions();
        var json = new Option<bool>("--json") { Description = "One JSON object per packet (docs/cli.md's fields; 'logged' for pflog input); with --summary, the summary as one object." };
        var explain = new Option<bool>("--explain") { Description = "Say why, in plain words, for every packet." };
        var summary = new Option<bool>("--summary") { Description = "Print only the summaries: per rule (like pfctl -vsr), state table, logged vs simulated (with --json: one object)." };
        var iface = new Option<string?>("--if") { Description = "Interface of every packet (default: pflog's or pcapng's name, else the one interface pf.conf names)." };
        var dir = new Option<string?>("--dir") { Description = "Direction of every packet: in or out (default: pflog's, else from --local, else the link layer's)." };
        var local = new Option<string[]>("--local")
        {
            Description = "An address or network of the firewall itself (repeatable): packets from it go out, packets to it come in.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var writePflog = new Option<string?>("--write-pflog") { Description = "Write what pf would log to this file (DLT_PFLOG, readable by tcpdump -e)." };
        var layout = new Option<string>("--pflog-layout")
        {
            Description = "Header of --write-pflog: openbsd (100 bytes), freebsd (72, with ridentifier) or freebsd-old (64).",
            DefaultValueFactory = _ => "openbsd",
        };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Skip damaged records where the format allows finding the next one." };
        var live = new Option<string?>("--live") { Description = "Capture from this interface through libpcap instead of reading files (Ctrl-C stops)." };
        var captures = new Argument<string[]>("CAPTURE") { Description = "pcap, pcapng or pflog files ('-' for stdin), replayed in order with state carried over.", Arity = ArgumentArity.ZeroOrMore };

        var cmd = new Command("replay",
            "Replay captures (pcap, pcapng, pflog) through a ruleset, packet by packet, with pf's state tracking.\n" +
            "Each packet is shown as tcpdump -n -e -ttt shows it, with the verdict, the deciding rule (@N and its text) and\n" +
            "the state used; then a per-rule summary like pfctl -vsr and the state table. The capture's timestamps are the\n" +
            "clock: states time out as they would have.\n" +
            "\n" +
            "Interface and direction: a pflog capture carries them for every packet and pcapng names its interfaces;\n" +
            "otherwise --if names the interface, and --dir or --local decides the direction (from a --local address: out;\n" +
            "to one: in; neither: a forwarded packet, in).\n" +
            "\n" +
            "pflog input: each packet's logged decision is set against what the ruleset decides now ('[as logged]' or\n" +
            "'[logged otherwise]' on its line); the summary lists the packets now decided otherwise, grouped, those whose\n" +
            "action changed first: 'these 312 packets would now be blocked by @14 (…); pf logged them passed by @3'.\n" +
            "\n" +
            "JSON: --json prints one object per packet, every line a verdict with docs/cli.md's fields ('logged': the pflog\n" +
            "header, or null). --json --summary prints instead one object, {\"summary\": {…}}: 'rules' (pfctl -vsr's counters\n" +
            "per rule), 'default_rule', 'packets', 'not_filtered', 'pflog_layouts', 'states', 'logged_vs_simulated' (null\n" +
            "unless pflog input: the groups of packets now decided otherwise) and 'errors' (the damage met, as on stderr).\n" +
            "\n" +
            "Exit status: 0 ok; 1 a wrong ruleset or a damaged capture (FILE: packet N at byte offset B: message, after the\n" +
            "packets before the damage); 2 a usage error or an unreadable file; 130 stopped by Ctrl-C, after printing the\n" +
            "summaries of the packets replayed until then (a second Ctrl-C ends at once). A progress line is drawn on stderr for runs\n" +
            "longer than a second, when stderr is a terminal and no packet lines scroll on the same screen. --verbose says on\n" +
            "stderr what each capture is: format, link type, records, and the layout of its pflog headers (OpenBSD 100 bytes,\n" +
            "FreeBSD 72 or 64).\n" +
            "\n" +
            "Examples:\n" +
            "  # Check a new ruleset against yesterday's pflog: which packets would it decide otherwise?\n" +
            "  pfsim replay -f /etc/pf.conf.new --summary /var/log/pflog\n" +
            "  # Every packet with its verdict, then the summaries\n" +
            "  pfsim replay -f /etc/pf.conf /var/log/pflog\n" +
            "  # A tcpdump capture taken on em0 of the firewall 192.168.50.1\n" +
            "  pfsim replay -f pf.conf --if em0 --local 192.168.50.1 server.pcap\n" +
            "  # Straight from tcpdump, through a pipe\n" +
            "  tcpdump -r big.pcap -w - icmp | pfsim replay -f pf.conf --if em0 --local 192.168.50.1 --summary -\n" +
            "  # For scripts: the packets pf passed that the new ruleset blocks\n" +
            "  pfsim replay -f pf.conf.new --json /var/log/pflog | jq -c 'select(.logged.action == \"pass\" and .action == \"block\")'\n" +
            "  pfsim replay -f pf.conf.new --json --summary /var/log/pflog | jq '.summary.logged_vs_simulated.groups'\n" +
            "  # What the ruleset would log, for tcpdump -e (FreeBSD's header with --pflog-layout freebsd)\n" +
            "  pfsim replay -f pf.conf --write-pflog would-log.pcap capture.pcapng && tcpdump -n -e -r would-log.pcap");
        cmd.Add(ruleset);
        common.AddTo(cmd);
        foreach (var o in new Option[] { json, explain, summary, iface, dir, local, writePflog, layout, keepGoing, live }) cmd.Add(o);
        cmd.Add(captures);

        cmd.SetAction(parse =>
        {
            var files = parse.GetValue(captures) ?? [];
            string? liveIf = parse.GetValue(live);
            if (files.Length == 0 && liveIf is null) throw new CliExit(ExitCodes.Usage, "pfsim: replay needs a CAPTURE file (or --live IF)");
            var direction = parse.GetValue(dir) switch
            {
                null => (Direction?)null,
                "in" => Direction.In,
                "out" => Direction.Out,
                var d => throw new CliExit(ExitCodes.Usage, $"pfsim: --dir is in or out, not '{d}'"),
            };
            var locals = new List<(Address, int)>();
            foreach (var l in parse.GetValue(local) ?? []) locals.Add(ParseNetwork(l));
            var pflogLayout = parse.GetValue(layout) switch
            {
                "openbsd" => PflogLayout.OpenBsd100,
                "freebsd" => PflogLayout.FreeBsd72,
                "freebsd-old" => PflogLayout.FreeBsd64,
                var x => throw new CliExit(ExitCodes.Usage, $"pfsim: --pflog-layout is openbsd, freebsd or freebsd-old, not '{x}'"),
            };
            foreach (var f in files)
                if (f != "-" && !File.Exists(f)) throw new CliExit(ExitCodes.Usage, $"pfsim: {f}: No such file or directory");

            var loaded = common.Load(parse, ctx, parse.GetValue(ruleset)!);
            foreach (var e in loaded.Errors) ctx.Err.WriteLine(e);
            if (!loaded.Success) return ExitCodes.Failed;
            var config = loaded.Config!;

            string? fixedIf = parse.GetValue(iface);
            string? guessed = Replayer.GuessInterface(config, out var named);
            string defaultIf = guessed ?? named[0];

            using var pflogOut = parse.GetValue(writePflog) is string outPath ? PflogWriter.Create(outPath, pflogLayout) : null;
            var fw = new Firewall(config, new FirewallOptions { Dialect = loaded.Dialect });
            bool asJson = parse.GetValue(json), onlySummary = parse.GetValue(summary);
            var printer = new Printer(ctx.Out, asJson, files.Length > 1);
            var replayer = new Replayer(fw, new ReplayOptions
            {
                Interface = fixedIf, DefaultInterface = defaultIf, Dir = direction, Local = locals,
                KeepGoing = parse.GetValue(keepGoing), Explain = parse.GetValue(explain), PflogOut = pflogOut,
            }, onlySummary ? null : printer);

            var openErrors = new List<CaptureError>();
            // Ctrl-C stops at the next check and the summaries cover what was replayed; a second Ctrl-C ends pfsim at once.
            using var interrupt = new CancellationTokenSource();
            ConsoleCancelEventHandler onCtrlC = (_, e) =>
            {
                e.Cancel = !interrupt.IsCancellationRequested;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCtrlC;
            replayer.Stop = interrupt.Token;
            try
            {
                if (liveIf is not null) RunLive(ctx, replayer, liveIf, interrupt.Token);
                foreach (var f in files)
                {
                    if (replayer.Interrupted) break;
                    if (RunFile(ctx, replayer, f, parse.GetValue(keepGoing), ReplayProgress.Wanted(ctx, packetLinesOnStdout: !onlySummary),
                                parse.GetValue(common.Verbose)) is CaptureError e)
                        openErrors.Add(e);
                }
            }
            finally { Console.CancelKeyPress -= onCtrlC; }
            var errors = openErrors.Concat(replayer.Errors).ToList();
            foreach (var e in errors) ctx.Err.WriteLine(e);
            pflogOut?.Flush();

            // --json alone keeps every line a verdict (docs/cli.md: one object a line), so scripts that read each line as
            // one never meet another shape; --json --summary is the summary as one object.
            if (asJson)
            {
                if (onlySummary) ctx.Out.WriteLine(ReplayReport.SummaryJson(fw, replayer.Stats, errors));
            }
            else
            {
                if (!onlySummary && replayer.Stats.Packets > 0) ctx.Out.WriteLine();
                ReplayReport.WriteRuleSummary(ctx.Out, fw);
                ReplayReport.WriteTotals(ctx.Out, fw, replayer.Stats);
                ReplayReport.WriteDisagreements(ctx.Out, replayer.Stats);
            }
            if (guessed is null && fixedIf is null && replayer.DefaultInterfaceUses > 0)
                ctx.Err.WriteLine($"pfsim: {replayer.DefaultInterfaceUses} packets carried no interface and pf.conf names several " +
                                  $"({string.Join(", ", named)}): they were replayed on {defaultIf}; say --if NAME");
            if (pflogOut is not null && parse.GetValue(common.Verbose))
                ctx.Err.WriteLine($"pfsim: wrote {pflogOut.PacketCount} logged packets ({pflogLayout} layout)");
            if (replayer.Interrupted)
            {
                ctx.Err.WriteLine($"pfsim: interrupted after {replayer.Stats.Records} records; the summary covers those");
                return ExitCodes.Interrupted;
            }
            // Damage skipped under --keep-going still means the input was wrong.
            return errors.Count > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return cmd;
    }

    private static (Address, int) ParseNetwork(string text)
    {
        int slash = text.IndexOf('/');
        string addr = slash < 0 ? text : text[..slash];
        if (!Address.TryParse(addr, out var a)) throw new CliExit(ExitCodes.Usage, $"pfsim: --local: not an address: '{text}'");
        int prefix = a.Bits;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > a.Bits))
            throw new CliExit(ExitCodes.Usage, $"pfsim: --local: bad prefix length in '{text}'");
        return (a.Mask(prefix), prefix);
    }

    /// <summary>Replays one capture; the error that stopped it at its start (not a capture at all), or null.</summary>
    private static CaptureError? RunFile(CliContext ctx, Replayer replayer, string file, bool keepGoing, bool showProgress, bool verbose)
    {
        CaptureReader reader;
        try
        {
            // '-' reads a capture from stdin: tcpdump -w - … | pfsim replay -f pf.conf -
            reader = file == "-" ? new CaptureReader(ctx.OpenStdin(), "stdin", keepGoing, readAhead: true) : CaptureReader.Open(file, keepGoing);
        }
        catch (CaptureFormatException e)
        {
            return e.Error;
        }
        using (reader)
        {
            if (!LinkTypes.IsSupported(reader.LinkType) && reader.Format == CaptureFormat.Pcap)
                ctx.Err.WriteLine($"pfsim: {file}: link type {reader.LinkType} is not one PfSim reads; its packets are skipped");
            long records = replayer.Stats.Records;
            long[] layouts = [.. replayer.Stats.PflogLayouts];
            if (!showProgress) replayer.Run(reader);
            else RunWithProgress(ctx, replayer, reader, file);
            if (verbose) ctx.Err.WriteLine(Describe(reader, file, replayer.Stats.Records - records, replayer.Stats.PflogLayouts, layouts));
            return null;
        }
    }

    // --verbose: what the file turned out to be, and for pflog which header layout(s) its records carry.
    private static string Describe(CaptureReader reader, string file, long records, long[] layoutsNow, long[] layoutsBefore)
    {
        var pflog = new List<string>();
        for (int i = 0; i < layoutsNow.Length; i++)
            if (layoutsNow[i] > layoutsBefore[i])
                pflog.Add(string.Create(CultureInfo.InvariantCulture, $"{layoutsNow[i] - layoutsBefore[i]} {ReplayReport.LayoutName((PflogLayout)i)}"));
        string format = reader.Format == CaptureFormat.PcapNg ? "pcapng" : "pcap";
        return string.Create(CultureInfo.InvariantCulture,
            $"pfsim: {(file == "-" ? "stdin" : file)}: {format}, link type {LinkTypes.Name(reader.LinkType)} ({reader.LinkType}), {records} record{(records == 1 ? "" : "s")}") +
            (pflog.Count > 0 ? "; pflog headers: " + string.Join(", ", pflog) : "");
    }

    private static void RunWithProgress(CliContext ctx, Replayer replayer, CaptureReader reader, string file)
    {
        var progress = new ReplayProgress(ctx.Err, file == "-" ? "stdin" : Path.GetFileName(file), reader.StreamLength, ctx.ProgressAfter);
        replayer.Progress = pos => progress.Update(pos, replayer.Stats.Records);
        try
        {
            progress.Update(0, 0);
            replayer.Run(reader);
        }
        finally
        {
            replayer.Progress = null;
            progress.Finish();
        }
    }

    private static void RunLive(CliContext ctx, Replayer replayer, string ifname, CancellationToken stop)
    {
        using var capture = LiveCapture.Open(ifname, out var error);
        if (capture is null) throw new CliExit(ExitCodes.Usage, $"pfsim: {error}");
        ctx.Err.WriteLine($"pfsim: replaying live packets from {ifname} (link type {LinkTypes.Name(capture.LinkType)}); Ctrl-C stops");
        replayer.Run(capture, stop);
    }

    /// <summary>Prints each packet as it is replayed: a tcpdump-like line or a JSON object.</summary>
    private sealed class Printer(TextWriter output, bool json, bool severalFiles) : IReplayObserver
    {
        private long _previousNs = long.MinValue;

        public void OnPacket(in ReplayedPacket packet)
        {
            output.WriteLine(json ? ReplayReport.Json(packet, severalFiles) : ReplayReport.Line(packet, _previousNs));
            _previousNs = packet.TimestampNs;
        }
    }
}
