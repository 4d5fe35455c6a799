namespace PfSim.Captures;

/// <summary>
/// Reads a stream ahead on a background thread into a small ring of chunks, so that the kernel's copying of a large
/// capture (or a pipe's writer) runs on another core while the replay works through what is already read. Memory is
/// constant (<see cref="Chunks"/> × <see cref="ChunkSize"/>); nothing is allocated per read. A read error on the
/// background thread is rethrown by the <see cref="Read(byte[], int, int)"/> that reaches it, after the bytes before it.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    public const int ChunkSize = 1 << 20;
    public const int Chunks = 4;

    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly byte[][] _chunk = new byte[Chunks][];
    private readonly int[] _length = new int[Chunks];
    // _filled counts chunks the reader thread has filled and the consumer has not taken; _free the empty ones.
    private readonly SemaphoreSlim _filled = new(0, Chunks);
    private readonly SemaphoreSlim _free = new(Chunks, Chunks);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private Exception? _error;
    // The consumer's chunk (-1 before the first), its read position, and whether the end was reached.
    private int _current = -1;
    private int _pos;
    private int _next;
    private bool _end;

    public ReadAheadStream(Stream inner, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
        for (int i = 0; i < Chunks; i++) _chunk[i] = new byte[ChunkSize];
        _thread = new Thread(Fill) { IsBackground = true, Name = "pfsim read-ahead" };
        _thread.Start();
    }

    private void Fill()
    {
        int w = 0;
        try
        {
            while (true)
            {
                _free.Wait(_stop.Token);
                var buf = _chunk[w];
                int n = 0;
                try
                {
                    while (n < buf.Length)
                    {
                        int r = _inner.Read(buf, n, buf.Length - n);
                        if (r <= 0) break;
                        n += r;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The bytes read before the error are delivered first; then the error, in place of the end.
                    _error = e;
                    if (n > 0)
                    {
                        Publish(ref w, n);
                        _free.Wait(_stop.Token);
                    }
                    Publish(ref w, 0);
                    return;
                }
                Publish(ref w, n);
                if (n == 0) return; // an empty chunk marks the end
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Publish(ref int w, int n)
    {
        _length[w] = n;
        _filled.Release();
        w = (w + 1) % Chunks;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        while (true)
        {
            if (_end) return End();
            if (_current >= 0 && _pos < _length[_current])
            {
                int n = Math.Min(buffer.Length, _length[_current] - _pos);
                _chunk[_current].AsSpan(_pos, n).CopyTo(buffer);
                _pos += n;
                return n;
            }
            if (_current >= 0) _free.Release();
            _filled.Wait();
            _current = _next;
            _next = (_next + 1) % Chunks;
            _pos = 0;
            if (_length[_current] == 0) _end = true;
        }
    }

    private int End() => _error is null ? 0 : throw new IOException(_error.Message, _error);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel();
            // A reader thread blocked in the inner stream's Read (a pipe) ends when the process does; a file's returns.
            if (!_leaveOpen) _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
