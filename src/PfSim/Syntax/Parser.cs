using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>
/// pf.conf's grammar (parse.y) as a recursive-descent parser: statements one line at a time, errors
/// reported with pfctl's wording and recovery (skip to the end of the line), rules handed to the
/// <see cref="Expander"/> as soon as they are read, as parse.y calls expand_rule.
/// </summary>
internal sealed partial class Parser
{
    /// <summary>A syntax error: report at the token's line, skip the rest of the line.</summary>
    private sealed class SyntaxFail(int line, string message) : Exception(message)
    {
        public int Line { get; } = line;
    }

    private readonly LoadOptions _options;
    private readonly PfConfig _config;
    private readonly List<ParseError> _errors;
    private readonly Dictionary<string, (string Value, bool Persist)> _macros = new(StringComparer.Ordinal);
    private readonly Lexer _lexer;
    private readonly Expander _expander;
    private readonly HostResolver _hostResolver;
    private readonly Stack<Ruleset> _rulesets = new();
    private readonly HashSet<string> _includeStack = new(StringComparer.Ordinal);
    private Token _tok;
    private bool _hasTok;
    private int _unnamedAnchors;

    public Parser(string fileName, string text, LoadOptions options, PfConfig config, List<ParseError> errors)
    {
        _options = options;
        _config = config;
        _errors = errors;
        foreach (var (k, v) in options.Defines) _macros[k] = (v, true);
        _lexer = new Lexer(fileName, text, name => _macros.TryGetValue(name, out var m) ? m.Value : null, Error);
        _expander = new Expander(config, options, Error);
        _hostResolver = new HostResolver(options.Host, Error, () => _lexer.FileName);
        _rulesets.Push(config.Main);
    }

    private bool FreeBsd => _config.Dialect == Dialect.FreeBsd;
    private Ruleset Current => _rulesets.Peek();

    internal void Error(string file, int line, string message) => _errors.Add(new ParseError(file, line, message));
    private void Error(int line, string message) => Error(_lexer.FileName, line, message);

    private Token Peek()
    {
        if (!_hasTok)
        {
            _tok = _lexer.Next();
            _hasTok = true;
        }
        return _tok;
    }

    private Token Advance()
    {
        var t = Peek();
        _hasTok = false;
        _last = t;
        if (_errQuiet > 0) _errQuiet--;
        return t;
    }

    private Token _last;
    // yacc reports a syntax error only after three tokens were shifted since the previous one (yyerrflag).
    private int _errQuiet;

    private bool AcceptWord(string w)
    {
        if (Peek().IsWord(w)) { Advance(); return true; }
        return false;
    }

    private bool AcceptChar(char c)
    {
        if (Peek().IsChar(c)) { Advance(); return true; }
        return false;
    }

    private static SyntaxFail Syntax(Token t) => new(t.Line, "syntax error");

    private void ExpectWord(string w)
    {
        var t = Advance();
        if (!t.IsWord(w)) throw Syntax(t);
    }

    private void ExpectChar(char c)
    {
        var t = Advance();
        if (!t.IsChar(c)) throw Syntax(t);
    }

    /// <summary>A STRING token (quoted, or a word that is not a keyword).</summary>
    private string ExpectString()
    {
        var t = Advance();
        if (!t.IsString) throw Syntax(t);
        return t.Text;
    }

    private long ExpectNumber()
    {
        var t = Advance();
        if (t.Kind != TokenKind.Number) throw Syntax(t);
        return t.Number;
    }

    /// <summary>parse.y's numberstring: a NUMBER or a STRING, as text.</summary>
    private string ExpectNumberString()
    {
        var t = Advance();
        if (t.Kind == TokenKind.Number || t.IsString) return t.Text;
        throw Syntax(t);
    }

    private void SkipNewlines()
    {
        while (Peek().Kind == TokenKind.Newline) Advance();
    }

    /// <summary>comma: an optional ',' (lists accept both "a, b" and "a b").</summary>
    private void OptComma() => AcceptChar(',');

    /// <summary>Parses the whole input.</summary>
    public void Run()
    {
        while (true)
        {
            var t = Peek();
            if (t.Kind == TokenKind.Eof)
            {
                // End of input inside an inline anchor: the anchor statement reports the missing "}".
                break;
            }
            if (t.Kind == TokenKind.Newline) { Advance(); continue; }
            if (t.IsChar('}') && _rulesets.Count > 1)
            {
                // The end of an inline anchor body; the anchor statement itself finishes the line.
                return;
            }
            Statement();
        }
    }

    private void Statement()
    {
        try
        {
            var t = Peek();
            // A lexical error already skipped its line; yacc then reports a syntax error and discards up to the next newline.
            if (t.Kind == TokenKind.Error) throw Syntax(t);
            StatementBody(t);
            var end = Peek();
            if (end.Kind is TokenKind.Newline) Advance();
            else if (end.Kind == TokenKind.Eof || (end.IsChar('}') && _rulesets.Count > 1)) { }
            else throw Syntax(end);
        }
        catch (SyntaxFail f)
        {
            bool yaccError = f.Message == "syntax error";
            if (f.Line >= 0 && !(yaccError && _errQuiet > 0)) Error(f.Line, f.Message);
            // The newline that ended the statement may be the token that failed; then the line is over.
            bool atNewline = !_hasTok && _last.Kind == TokenKind.Newline && _last.Line == f.Line;
            if (!atNewline) SkipLine();
            if (yaccError) _errQuiet = 2;
        }
    }

    private void SkipLine()
    {
        while (true)
        {
            var t = Peek();
            if (t.Kind == TokenKind.Eof) return;
            _hasTok = false;
            _last = t;
            if (t.Kind == TokenKind.Newline) return;
        }
    }

    private void StatementBody(Token t)
    {
        if (t.Kind == TokenKind.Word || t.Kind == TokenKind.Quoted)
        {
            if (t.Kind == TokenKind.Word)
            {
                switch (t.Text)
                {
                    case "include": Advance(); Include(); return;
                    case "set": Advance(); SetOption(); return;
                    case "table": Advance(); TableDef(); return;
                    case "pass": case "block": case "match": FilterRule(); return;
                    case "anchor": case "nat-anchor": case "rdr-anchor": case "binat-anchor": AnchorRule(); return;
                    case "load": Advance(); LoadAnchor(); return;
                    case "antispoof": Advance(); Antispoof(); return;
                    case "scrub": ScrubRule(); return;
                    case "nat": case "rdr": case "binat": TranslationRule(false); return;
                    case "no":
                        Advance();
                        if (Peek().IsWord("nat") || Peek().IsWord("rdr") || Peek().IsWord("binat")) { TranslationRule(true); return; }
                        if (Peek().IsWord("scrub")) { ScrubRule(noScrub: true); return; }
                        throw Syntax(Peek());
                    case "queue": case "altq": QueueStatement(); return;
                    case "ether": EtherRule(); return;
                }
            }
            if (t.IsString)
            {
                var name = Advance();
                if (Peek().IsChar('=')) { Advance(); VarSet(name); return; }
                throw Syntax(Peek());
            }
        }
        throw Syntax(t);
    }

    private void VarSet(Token name)
    {
        var parts = new List<string>();
        while (true)
        {
            var t = Peek();
            if (t.Kind == TokenKind.Number || t.IsString) { parts.Add(Advance().Text); continue; }
            break;
        }
        if (parts.Count == 0) throw Syntax(Peek());
        string value = string.Join(' ', parts);
        _config.Printed.Add($"{name.Text} = \"{value}\"");
        if (name.Text.Any(char.IsWhiteSpace))
        {
            Error(name.Line, "macro name cannot contain whitespace");
            return;
        }
        if (_macros.TryGetValue(name.Text, out var old) && old.Persist) return;
        _macros[name.Text] = (value, false);
        _config.Macros.Add(new KeyValuePair<string, string>(name.Text, value));
    }

    private void Include()
    {
        var t = Advance();
        if (t.Kind != TokenKind.Quoted && !t.IsString) throw Syntax(t);
        string path = t.Text;
        string? baseDir = Path.GetDirectoryName(t.File);
        string full = Path.IsPathRooted(path) || string.IsNullOrEmpty(baseDir) || File.Exists(path) ? path : Path.Combine(baseDir, path);
        // Finish this statement's line first, then read the included file in its place.
        var end = Peek();
        if (end.Kind != TokenKind.Newline && end.Kind != TokenKind.Eof) throw Syntax(end);
        string text;
        try
        {
            if (_includeStack.Count > 64) throw new IOException("include nesting too deep");
            text = File.ReadAllText(_options.MapPath(full));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Error(t.Line, $"cannot open include file {path}: {(e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory" : e.Message)}");
            return;
        }
        if (end.Kind == TokenKind.Newline) Advance();
        _includeStack.Add(full);
        _lexer.PushFile(path, text);
    }
}
