using System.Runtime.CompilerServices;

// The packet path keeps its headers, keys and verdicts in stack structs; the JIT would zero each of them on every call
// (a few hundred bytes per packet) although the code writes every field it reads. Every stackalloc in this assembly is
// written before it is read.
[module: SkipLocalsInit]
