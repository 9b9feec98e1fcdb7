using System.Text.Json;

namespace Sync.ChaosTests.Support;

/// <summary>Reads values out of JSON text whatever its shape (a MassTransit envelope or a bare message).</summary>
public static class JsonText
{
    /// <summary>The first string property named <paramref name="name"/> anywhere in <paramref name="json"/> (of an array value: its first string), or null.</summary>
    public static string? Find(string json, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Find(document.RootElement, name);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Find(JsonElement element, string name)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.NameEquals(name) && property.Value.ValueKind == JsonValueKind.String)
                    {
                        return property.Value.GetString();
                    }

                    if (property.NameEquals(name) && property.Value.ValueKind == JsonValueKind.Array &&
                        property.Value.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.String } first)
                    {
                        return first.GetString();
                    }
                }

                foreach (var property in element.EnumerateObject())
                {
                    if (Find(property.Value, name) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (Find(item, name) is { } found)
                    {
                        return found;
                    }
                }

                return null;
            default:
                return null;
        }
    }
}
