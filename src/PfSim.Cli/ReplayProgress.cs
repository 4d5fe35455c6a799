using System.Diagnostics;
using System.Globalization;

namespace PfSim.Cli;

/// <summary>
/// The progress line <c>pfsim replay</c> draws on stderr while a long capture is read: redrawn in place with a carriage
/// return at most ten times a second, only once the run has lasted <c>showAfter</c>, and erased when done so nothing of
/// it stays in the terminal's scrollback.
/// </summary>
internal sealed class ReplayProgress
{
    private const int NameWidth = 24, BarWidth = 20;
    private static readonly TimeSpan Redraw = TimeSpan.FromMilliseconds(100);
    private readonly TextWriter _err;
    private readonly string _name;
    private readonly long _length;
    private readonly TimeSpan _showAfter;
    private readonly Func<TimeSpan> _clock;
    private TimeSpan? _lastDraw;

    public ReplayProgress(TextWriter err, string name, long length, TimeSpan showAfter, Func<TimeSpan>? clock = null)
    {
        _err = err;
        _name = name;
        _length = length;
        _showAfter = showAfter;
        if (clock is null)
        {
            var sw = Stopwatch.StartNew();
            clock = () => sw.Elapsed;
        }
        _clock = clock;
    }

    /// <summary>Whether anything was drawn (and so must be erased).</summary>
    public bool Shown { get; private set; }

    /// <summary>
    /// A bar only for a person watching stderr, and not while packet lines scroll on the same screen (stdout a
    /// terminal too, without --summary): they would tear it apart.
    /// </summary>
    public static bool Wanted(CliContext ctx, bool packetLinesOnStdout) => ctx.ErrIsTerminal && !(packetLinesOnStdout && ctx.OutIsTerminal);

    /// <summary>Called with the reader's byte position and the records read so far.</summary>
    public void Update(long position, long records)
    {
        var now = _clock();
        if (now < _showAfter || now - _lastDraw < Redraw) return;  // null (never drawn) compares false
        _lastDraw = now;
        Shown = true;
        _err.Write('\r');
        _err.Write(Render(_name, position, _length, records, now));
        _err.Write("\u001b[K");  // erase what a longer previous frame left to the right
        _err.Flush();
    }

    /// <summary>Erases the line, leaving the cursor where the bar began.</summary>
    public void Finish()
    {
        if (!Shown) return;
        _err.Write("\r\u001b[K");
        _err.Flush();
        Shown = false;
    }

    /// <summary>
    /// One frame: <c>big.pcap  [########------------]  41%  1.0 GiB of 2.5 GiB  1.2M packets  0:12 left</c>; for a
    /// stream of unknown length (stdin) no bar, only what was read.
    /// </summary>
    public static string Render(string name, long position, long length, long records, TimeSpan elapsed)
    {
        var inv = CultureInfo.InvariantCulture;
        string label = name.Length <= NameWidth ? name.PadRight(NameWidth) : string.Concat("…", name.AsSpan(name.Length - NameWidth + 1));
        string count = string.Create(inv, $"{Count(records)} packets");
        if (length <= 0) return string.Create(inv, $"{label}  {Bytes(position)} read  {count}");
        double done = Math.Clamp((double)position / length, 0, 1);
        int filled = (int)(done * BarWidth);
        string bar = new string('#', filled) + new string('-', BarWidth - filled);
        string left = done > 0 && elapsed > TimeSpan.Zero ? "  " + Clock(elapsed * ((1 - done) / done)) + " left" : "";
        return string.Create(inv, $"{label}  [{bar}] {(int)(done * 100),3}%  {Bytes(position)} of {Bytes(length)}  {count}{left}");
    }

    private static string Bytes(long n) => n switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{n / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{n / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{n / (double)(1L << 10):0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{n} B"),
    };

    private static string Count(long n) => n switch
    {
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{n / 1e6:0.0}M"),
        >= 10_000 => string.Create(CultureInfo.InvariantCulture, $"{n / 1e3:0}k"),
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    private static string Clock(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:D2}");
}
