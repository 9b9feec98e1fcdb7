using System.Text.Json;

namespace Sync.Sandbox.Api;

/// <summary>
/// Reads a JSON request body and checks it field by field the way the platform's validation does, collecting
/// messages such as <c>locationId should not be empty</c> or <c>property contactIds should not exist</c>.
/// </summary>
internal sealed class JsonBody : IDisposable
{
    private static readonly JsonDocument EmptyObject = JsonDocument.Parse("{}");
    private readonly JsonDocument? _document;

    private JsonBody(JsonDocument? document, JsonElement root)
    {
        _document = document;
        Root = root;
    }

    public JsonElement Root { get; }

    public List<string> Errors { get; } = [];

    /// <summary>Reads the body; a missing body or a non-JSON content type reads as an empty object. Null with an error message when it is malformed JSON.</summary>
    public static async Task<(JsonBody? Body, string? Error)> ReadAsync(HttpRequest request)
    {
        if (request.ContentLength == 0 || (request.ContentType is { } type && !type.Contains("json", StringComparison.OrdinalIgnoreCase)))
        {
            return (new JsonBody(null, EmptyObject.RootElement), null);
        }

        try
        {
            var document = await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return (null, "The request body must be a JSON object.");
            }

            return (new JsonBody(document, document.RootElement), null);
        }
        catch (JsonException ex) when (request.ContentLength is null && ex.BytePositionInLine == 0 && ex.LineNumber == 0)
        {
            return (new JsonBody(null, EmptyObject.RootElement), null);
        }
        catch (JsonException ex)
        {
            return (null, $"Unexpected token in JSON at line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}.");
        }
    }

    /// <summary>Wraps an element (e.g. one item of an array) for the same checks.</summary>
    public static JsonBody Of(JsonElement element) => new(null, element);

    /// <summary>Reports every property not in <paramref name="allowed"/>, as a whitelist validation would.</summary>
    public void Only(IReadOnlySet<string> allowed)
    {
        foreach (var property in Root.EnumerateObject())
        {
            if (!allowed.Contains(property.Name))
            {
                Errors.Add($"property {property.Name} should not exist");
            }
        }
    }

    public bool Has(string name) => Root.TryGetProperty(name, out _);

    /// <summary>A required, non-empty string.</summary>
    public string? RequiredString(string name)
    {
        if (!Root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Errors.Add($"{name} should not be empty");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Errors.Add($"{name} must be a string");
            return null;
        }

        var text = value.GetString()!;
        if (text.Length == 0)
        {
            Errors.Add($"{name} should not be empty");
            return null;
        }

        return text;
    }

    /// <summary>An optional string: <paramref name="given"/> tells whether the property is present; its value may be null.</summary>
    public string? OptionalString(string name, out bool given)
    {
        given = Root.TryGetProperty(name, out var value);
        if (!given || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Errors.Add($"{name} must be a string");
            given = false;
            return null;
        }

        return value.GetString();
    }

    public bool? OptionalBool(string name, out bool given)
    {
        given = Root.TryGetProperty(name, out var value);
        if (!given || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Errors.Add($"{name} must be a boolean value");
            given = false;
            return null;
        }

        return value.GetBoolean();
    }

    /// <summary>An integer within bounds; null when absent (reported when <paramref name="required"/>).</summary>
    public int? Integer(string name, bool required, int min, int max)
    {
        if (!Root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Errors.Add($"{name} should not be empty");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            Errors.Add($"{name} must be a number conforming to the specified constraints");
            return null;
        }

        if (number < min)
        {
            Errors.Add($"{name} must not be less than {min}");
            return null;
        }

        if (number > max)
        {
            Errors.Add($"{name} must not be greater than {max}");
            return null;
        }

        return number;
    }

    /// <summary>An array of strings; null when absent (reported when <paramref name="required"/>).</summary>
    public List<string>? StringArray(string name, bool required, bool notEmpty)
    {
        if (!Root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Errors.Add($"{name} should not be empty");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Errors.Add($"{name} must be an array");
            return null;
        }

        var items = new List<string>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                Errors.Add($"each value in {name} must be a string");
                return null;
            }

            items.Add(item.GetString()!);
        }

        if (notEmpty && items.Count == 0)
        {
            Errors.Add($"{name} should not be empty");
            return null;
        }

        return items;
    }

    public void Dispose() => _document?.Dispose();
}
