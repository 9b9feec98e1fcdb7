using System.Text.Json;

namespace Sync.Sandbox.Contacts;

/// <summary>
/// Each location's custom field definitions (contact fields only). Upserts name a field by its id, or by its key
/// (<c>contact.&lt;key&gt;</c>, or the key alone); values are stored under the field's id.
/// </summary>
public sealed class CustomFieldStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<CustomFieldDefinitionView>> _byLocation = new(StringComparer.Ordinal);

    /// <summary>The definitions of a location, in the order they were defined.</summary>
    public IReadOnlyList<CustomFieldDefinitionView> ForLocation(string locationId)
    {
        lock (_gate)
        {
            return _byLocation.TryGetValue(locationId, out var list) ? [.. list] : [];
        }
    }

    /// <summary>
    /// Replaces a location's definitions. A field whose key was defined before keeps its id; a new key gets a new id.
    /// Keys are lowercased and given the <c>contact.</c> prefix when they lack it.
    /// </summary>
    public IReadOnlyList<CustomFieldDefinitionView> Define(string locationId, IEnumerable<(string Key, string? Name, string? DataType)> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        lock (_gate)
        {
            var before = _byLocation.TryGetValue(locationId, out var old)
                ? old.ToDictionary(f => f.FieldKey, StringComparer.Ordinal)
                : new Dictionary<string, CustomFieldDefinitionView>(StringComparer.Ordinal);
            var list = new List<CustomFieldDefinitionView>();
            foreach (var (key, name, dataType) in fields)
            {
                var fieldKey = FieldKeyOf(key);
                if (list.Any(f => f.FieldKey == fieldKey))
                {
                    continue;
                }

                list.Add(new CustomFieldDefinitionView(
                    before.TryGetValue(fieldKey, out var existing) ? existing.Id : TokenStore.NewId(20),
                    name ?? fieldKey[CustomFieldPrefix.Length..], fieldKey, dataType ?? "TEXT", locationId, list.Count));
            }

            _byLocation[locationId] = list;
            return [.. list];
        }
    }

    /// <summary>
    /// Turns the fields an upsert names (by id or key) into field ids; adds an error for each the location does not define.
    /// </summary>
    public List<KeyValuePair<string, JsonElement>> Resolve(string locationId, IEnumerable<KeyValuePair<string, JsonElement>> given, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(errors);
        var definitions = ForLocation(locationId);
        var result = new List<KeyValuePair<string, JsonElement>>();
        foreach (var (idOrKey, value) in given)
        {
            var field = definitions.FirstOrDefault(f => f.Id == idOrKey)
                ?? definitions.FirstOrDefault(f => f.FieldKey == FieldKeyOf(idOrKey));
            if (field is null)
            {
                errors.Add($"customFields: no custom field {idOrKey} in this location");
                continue;
            }

            result.Add(new(field.Id, value));
        }

        return result;
    }

    /// <summary>Forgets every definition.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _byLocation.Clear();
        }
    }

    private const string CustomFieldPrefix = "contact.";

    private static string FieldKeyOf(string key)
    {
        var trimmed = key.Trim().ToLowerInvariant();
        return trimmed.StartsWith(CustomFieldPrefix, StringComparison.Ordinal) ? trimmed : CustomFieldPrefix + trimmed;
    }
}

/// <summary>A custom field definition as <c>GET /locations/{locationId}/customFields</c> lists it.</summary>
/// <param name="Id">The field's id (20 alphanumeric characters).</param>
/// <param name="Name">Display name.</param>
/// <param name="FieldKey">The key, <c>contact.&lt;key&gt;</c>.</param>
/// <param name="DataType">TEXT, NUMERICAL, CHECKBOX, …</param>
/// <param name="LocationId">The location.</param>
/// <param name="Position">Its place in the list.</param>
public sealed record CustomFieldDefinitionView(string Id, string Name, string FieldKey, string DataType, string LocationId, int Position)
{
    /// <summary>Always <c>contact</c>: the sandbox defines contact fields only.</summary>
    public string Model { get; init; } = "contact";
}
