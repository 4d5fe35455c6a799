using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PfSim.Cli;

/// <summary>
/// The commands' <c>--json</c> output: one object a line, written with <see cref="Utf8JsonWriter"/> (no reflection, so
/// the Native AOT build prints exactly what the JIT build prints; the default encoder escapes as JsonSerializer does).
/// </summary>
internal static class JsonLine
{
    /// <summary>Writes one JSON object, whose members <paramref name="members"/> writes, as a line of <paramref name="o"/>.</summary>
    public static void Write(TextWriter o, Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            members(w);
            w.WriteEndObject();
        }
        o.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>A number, or JSON null when there is none.</summary>
    public static void Number(Utf8JsonWriter w, string name, int? value)
    {
        if (value is int v) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    /// <summary>A boolean, or JSON null when there is none.</summary>
    public static void Boolean(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is bool v) w.WriteBoolean(name, v); else w.WriteNull(name);
    }

    /// <summary>An array of strings.</summary>
    public static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var s in values) w.WriteStringValue(s);
        w.WriteEndArray();
    }
}
