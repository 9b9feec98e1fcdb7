using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace Sync.Core.Webhooks;

/// <summary>Field checks shared by the event readers.</summary>
internal static partial class JsonFields
{
    /// <summary>The longest event id accepted.</summary>
    public const int MaxIdLength = 256;

    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Parses a body into a JSON object, refusing what a lenient parser would let through and a later read would trip
    /// over: bytes that are not UTF-8, escapes that decode to a lone surrogate (<c>"\ud800"</c>) and duplicate keys (which
    /// the sender and the worker could read differently). Each is a permanently bad event, never a fault of ours.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, out JsonDocument? document, out string? error)
    {
        document = null;
        if (!Utf8.IsValid(body.Span))
        {
            error = "The body is not valid UTF-8.";
            return false;
        }

        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            document = null;
            error = $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).";
            return false;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            document = null;
            error = "The body must be a JSON object.";
            return false;
        }

        error = CheckStrings(document.RootElement);
        if (error is not null)
        {
            document.Dispose();
            document = null;
            return false;
        }

        return true;
    }

    // Every property name and string value must decode to UTF-16 (no lone surrogate escapes); no object repeats a key.
    private static string? CheckStrings(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                HashSet<string>? names = null;
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return "A property name holds an invalid escape (a lone UTF-16 surrogate).";
                    }

                    names ??= new HashSet<string>(StringComparer.Ordinal);
                    if (!names.Add(name))
                    {
                        return $"The property '{Shorten(name)}' appears more than once in one object.";
                    }

                    if (CheckStrings(property.Value) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (CheckStrings(item) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.String:
                try
                {
                    _ = element.GetString();
                    return null;
                }
                catch (InvalidOperationException)
                {
                    return "A string holds an invalid escape (a lone UTF-16 surrogate).";
                }

            default:
                return null;
        }
    }

    private static string Shorten(string name) => name.Length <= 64 ? name : name[..64] + "…";

    /// <summary>A non-empty string property, or null (absent, null, empty or not a string).</summary>
    public static string? NonEmptyString(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    /// <summary>True when the property is absent, null or a string.</summary>
    public static bool IsOptionalString(JsonElement parent, string name) =>
        !parent.TryGetProperty(name, out var value) || value.ValueKind is JsonValueKind.String or JsonValueKind.Null;

    /// <summary>Parses an RFC 3339 date-time (with <c>T</c> and a <c>Z</c> or numeric offset), the JSON Schema <c>date-time</c> format.</summary>
    public static bool TryParseDateTime(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null &&
               Rfc3339().IsMatch(text) &&
               DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Rfc3339();
}
