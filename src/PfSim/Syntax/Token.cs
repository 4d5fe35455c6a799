namespace PfSim.Syntax;

/// <summary>Kinds of tokens pfctl's lexer returns (parse.y yylex).</summary>
public enum TokenKind : byte
{
    /// <summary>An unquoted word: a keyword or a STRING.</summary>
    Word,
    /// <summary>A quoted string (never a keyword).</summary>
    Quoted,
    /// <summary>A decimal number (NUMBER).</summary>
    Number,
    /// <summary>A single character: <c>{ } ( ) , ! &lt; &gt; = / - + :</c> and any other.</summary>
    Char,
    /// <summary><c>!=</c></summary>
    Ne,
    /// <summary><c>&lt;=</c></summary>
    Le,
    /// <summary><c>&gt;=</c></summary>
    Ge,
    /// <summary><c>&lt;&gt;</c> (outside) or <c>&gt;&lt;</c> (inside exclusive).</summary>
    PortBinary,
    /// <summary><c>-&gt;</c></summary>
    Arrow,
    Newline,
    /// <summary>The lexer reported an error and skipped to the end of the line.</summary>
    Error,
    Eof,
}

/// <summary>One token with the file and line pfctl would report for it.</summary>
public readonly record struct Token(TokenKind Kind, string Text, long Number, string File, int Line)
{
    public bool IsWord(string w) => Kind == TokenKind.Word && Text == w;
    public bool IsChar(char c) => Kind == TokenKind.Char && Text.Length == 1 && Text[0] == c;

    /// <summary>A STRING in parse.y's sense: quoted, or an unquoted word that is not a keyword.</summary>
    public bool IsString => Kind == TokenKind.Quoted || (Kind == TokenKind.Word && !Keywords.IsKeyword(Text));

    public override string ToString() => Kind switch
    {
        TokenKind.Newline => "newline",
        TokenKind.Eof => "end of file",
        _ => Text,
    };
}
