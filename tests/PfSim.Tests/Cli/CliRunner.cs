namespace PfSim.Tests.Cli;

/// <summary>Runs pfsim in-process and captures what it prints.</summary>
public static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = PfSim.Cli.Cli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>Runs pfsim with <paramref name="stdin"/> as its standard input and stderr said to be a terminal or not.</summary>
    public static (int Code, string Out, string Err) Run(byte[] stdin, bool errIsTerminal, bool outIsTerminal, TimeSpan progressAfter, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var ctx = new PfSim.Cli.CliContext(o, e)
        {
            OpenStdin = () => new PipeStream(stdin),
            ErrIsTerminal = errIsTerminal,
            OutIsTerminal = outIsTerminal,
            ProgressAfter = progressAfter,
        };
        int code = PfSim.Cli.Cli.Run(args, ctx);
        return (code, o.ToString(), e.ToString());
    }

    /// <summary>stdin as a pipe gives it: bytes in order, no length, no seeking.</summary>
    private sealed class PipeStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes, writable: false);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        // A pipe hands over at most what is buffered: small reads make the reader's refills real.
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 4096));
        public override int Read(Span<byte> buffer) => _inner.Read(buffer[..Math.Min(buffer.Length, 4096)]);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
