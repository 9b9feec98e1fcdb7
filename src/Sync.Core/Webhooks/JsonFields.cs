using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sync.Core.Webhooks;

/// <summary>Field checks shared by the event readers.</summary>
internal static partial class JsonFields
{
    /// <summary>The longest event id accepted.</summary>
    public const int MaxIdLength = 256;

    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    public static bool TryParse(ReadOnlyMemory<byte> body, out JsonDocument? document, out string? error)
    {
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

        error = null;
        return true;
    }

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
