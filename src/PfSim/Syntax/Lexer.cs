using System.Text;

namespace PfSim.Syntax;

/// <summary>
/// pf.conf's lexer, with pfctl's rules (parse.y yylex/lgetc): comments, backslash-newline continuation,
/// quoted strings, <c>$macro</c> expansion by re-lexing the macro's text (not recursively), numbers that
/// end only before space , ) / } =, and words made of everything else but <c>(){}&lt;&gt;!=/#,</c>.
/// </summary>
public sealed class Lexer
{
    private const int Eof = -1, StartExpand = -2, DoneExpand = -3;
    private const int MaxString = 8192;

    private sealed class Source(string name, string text)
    {
        public readonly string Name = name;
        public readonly string Text = text;
        public int Pos;
        public int Line = 1;
    }

    private readonly List<Source> _files = [];
    private readonly Stack<int> _pushback = new();
    private readonly Func<string, string?> _macro;
    private readonly Action<string, int, string> _error;
    private bool _expanding;
    private readonly StringBuilder _buf = new();

    /// <param name="fileName">Name used in error positions.</param>
    /// <param name="text">The pf.conf text.</param>
    /// <param name="macro">Looks a macro up; null when it is not defined.</param>
    /// <param name="error">Reports an error (file, line, message).</param>
    public Lexer(string fileName, string text, Func<string, string?> macro, Action<string, int, string> error)
    {
        _files.Add(new Source(fileName, text));
        _macro = macro;
        _error = error;
    }

    private Source Current => _files[^1];
    public string FileName => Current.Name;
    public int Line => Current.Line;
    public int Depth => _files.Count;

    /// <summary>Starts reading an included file; it is read to its end, then the includer resumes.</summary>
    public void PushFile(string name, string text) => _files.Add(new Source(name, text));

    private int GetC(bool quoted)
    {
        while (true)
        {
            if (_pushback.Count > 0)
            {
                int p = _pushback.Pop();
                if (p == StartExpand) { _expanding = true; continue; }
                if (p == DoneExpand) { _expanding = false; continue; }
                return p;
            }
            var f = Current;
            if (f.Pos >= f.Text.Length)
            {
                if (_files.Count > 1)
                {
                    _files.RemoveAt(_files.Count - 1);
                    if (quoted) return Eof;
                    continue;
                }
                return Eof;
            }
            char c = f.Text[f.Pos++];
            if (quoted) return c;
            if (c == '\\' && f.Pos < f.Text.Length && f.Text[f.Pos] == '\n')
            {
                f.Pos++;
                f.Line++;
                continue;
            }
            return c;
        }
    }

    private void UngetC(int c)
    {
        if (c == Eof) return;
        _pushback.Push(c);
    }

    /// <summary>Skips to the end of the line after a lexical error (pfctl's findeol).</summary>
    private Token FindEol(int line)
    {
        while (true)
        {
            int c = GetC(false);
            if (c == '\n') { Current.Line++; break; }
            if (c == Eof) break;
        }
        return new Token(TokenKind.Error, "", 0, FileName, line);
    }

    private static bool AllowedInString(int c) =>
        c >= 0 && c < 128 && (char.IsAsciiLetterOrDigit((char)c) ||
        (char.IsPunctuation((char)c) || char.IsSymbol((char)c)) && c is not ('(' or ')' or '{' or '}' or '<' or '>' or '!' or '=' or '/' or '#' or ','));

    private static bool AllowedToEndNumber(int c) =>
        c == Eof || c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v' or ')' or ',' or '/' or '}' or '=';

    public Token Next()
    {
    top:
        int c;
        while ((c = GetC(false)) == ' ' || c == '\t') { }
        int line = Current.Line;
        string file = FileName;
        if (c == '#')
            while ((c = GetC(false)) != '\n' && c != Eof) { }
        if (c == '$' && !_expanding)
        {
            _buf.Clear();
            while (true)
            {
                c = GetC(false);
                if (c == Eof) return new Token(TokenKind.Eof, "", 0, file, line);
                if (c < 128 && c >= 0 && (char.IsAsciiLetterOrDigit((char)c) || c == '_')) { _buf.Append((char)c); continue; }
                UngetC(c);
                break;
            }
            string name = _buf.ToString();
            var val = _macro(name);
            if (val is null)
            {
                _error(file, line, $"macro '{name}' not defined");
                return FindEol(line);
            }
            UngetC(DoneExpand);
            for (int i = val.Length - 1; i >= 0; i--) UngetC(val[i]);
            UngetC(StartExpand);
            goto top;
        }

        switch (c)
        {
            case '\'':
            case '"':
                return QuotedString(c, file, line);
            case '!':
            {
                int n = GetC(false);
                if (n == '=') return new Token(TokenKind.Ne, "!=", 0, file, line);
                UngetC(n);
                break;
            }
            case '<':
            {
                int n = GetC(false);
                if (n == '>') return new Token(TokenKind.PortBinary, "<>", 0, file, line);
                if (n == '=') return new Token(TokenKind.Le, "<=", 0, file, line);
                UngetC(n);
                break;
            }
            case '>':
            {
                int n = GetC(false);
                if (n == '<') return new Token(TokenKind.PortBinary, "><", 0, file, line);
                if (n == '=') return new Token(TokenKind.Ge, ">=", 0, file, line);
                UngetC(n);
                break;
            }
            case '-':
            {
                int n = GetC(false);
                if (n == '>') return new Token(TokenKind.Arrow, "->", 0, file, line);
                UngetC(n);
                break;
            }
        }

        if (c == '-' || (c >= '0' && c <= '9'))
        {
            _buf.Clear();
            do { _buf.Append((char)c); } while ((c = GetC(false)) != Eof && c >= '0' && c <= '9');
            UngetC(c);
            if (!(_buf.Length == 1 && _buf[0] == '-') && AllowedToEndNumber(c))
            {
                var s = _buf.ToString();
                if (!long.TryParse(s, out long v))
                {
                    _error(file, line, $"\"{s}\" invalid number: {(s.StartsWith('-') ? "too small" : "too large")}");
                    return FindEol(line);
                }
                return new Token(TokenKind.Number, s, v, file, line);
            }
            for (int i = _buf.Length - 1; i >= 1; i--) UngetC(_buf[i]);
            c = _buf[0];
            if (c == '-') return new Token(TokenKind.Char, "-", 0, file, line);
        }

        if (c >= 0 && c < 128 && (char.IsAsciiLetterOrDigit((char)c) || c == ':' || c == '_'))
        {
            _buf.Clear();
            do
            {
                _buf.Append((char)c);
                if (_buf.Length >= MaxString)
                {
                    _error(file, line, "string too long");
                    return FindEol(line);
                }
            } while ((c = GetC(false)) != Eof && AllowedInString(c));
            UngetC(c);
            return new Token(TokenKind.Word, _buf.ToString(), 0, file, line);
        }
        if (c == '\n')
        {
            Current.Line++;
            return new Token(TokenKind.Newline, "\n", 0, file, line);
        }
        if (c == Eof) return new Token(TokenKind.Eof, "", 0, file, line);
        if (c == '\r') goto top;
        return new Token(TokenKind.Char, ((char)c).ToString(), 0, file, line);
    }

    private Token QuotedString(int quote, string file, int line)
    {
        _buf.Clear();
        while (true)
        {
            int c = GetC(true);
            if (c == Eof)
            {
                _error(file, Current.Line, "reached end of file while parsing quoted string");
                return new Token(TokenKind.Eof, "", 0, file, Current.Line);
            }
            if (c == '\n') { Current.Line++; continue; }
            if (c == '\\')
            {
                int n = GetC(true);
                if (n == Eof) return new Token(TokenKind.Eof, "", 0, file, Current.Line);
                if (n == quote || n == ' ' || n == '\t') c = n;
                else if (n == '\n') { Current.Line++; continue; }
                else UngetC(n);
            }
            else if (c == quote) break;
            else if (c == 0)
            {
                _error(file, line, "syntax error");
                return FindEol(line);
            }
            if (_buf.Length + 1 >= MaxString)
            {
                _error(file, line, "string too long");
                return FindEol(line);
            }
            _buf.Append((char)c);
        }
        return new Token(TokenKind.Quoted, _buf.ToString(), 0, file, line);
    }
}
