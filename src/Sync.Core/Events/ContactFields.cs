using System.Text.Json;

namespace Sync.Core.Events;

/// <summary>
/// The contact fields a source sets. Null means "not given, leave as is"; the upsert sends only the fields given,
/// and never tags (tags in an upsert replace all of a contact's tags).
/// </summary>
public sealed record ContactFields
{
    /// <summary>Email, trimmed and lowercased.</summary>
    public string? Email { get; init; }

    /// <summary>Phone, as given with separators removed.</summary>
    public string? Phone { get; init; }

    /// <summary>The source system's id for the contact (kept in the contact index, not sent to the API).</summary>
    public string? ExternalId { get; init; }

    /// <summary>First name.</summary>
    public string? FirstName { get; init; }

    /// <summary>Last name.</summary>
    public string? LastName { get; init; }

    /// <summary>Full name.</summary>
    public string? Name { get; init; }

    /// <summary>Company name.</summary>
    public string? CompanyName { get; init; }

    /// <summary>Street address.</summary>
    public string? Address1 { get; init; }

    /// <summary>City.</summary>
    public string? City { get; init; }

    /// <summary>State or region.</summary>
    public string? State { get; init; }

    /// <summary>Postal code.</summary>
    public string? PostalCode { get; init; }

    /// <summary>Country.</summary>
    public string? Country { get; init; }

    /// <summary>Website.</summary>
    public string? Website { get; init; }

    /// <summary>IANA time zone.</summary>
    public string? Timezone { get; init; }

    /// <summary>Lead source.</summary>
    public string? Source { get; init; }

    /// <summary>
    /// Custom field values by the field's key (see <see cref="CustomFieldKeys"/>: without the <c>contact.</c> prefix),
    /// each a string, number, boolean or array of strings; null or empty when none is given. The worker maps the keys
    /// to the location's field ids.
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement>? CustomFields { get; init; }
}

/// <summary>How custom field keys are written: the platform's <c>fieldKey</c> is <c>contact.&lt;key&gt;</c>.</summary>
public static class CustomFieldKeys
{
    /// <summary>The prefix of a contact field's key on the platform.</summary>
    public const string ContactPrefix = "contact.";

    /// <summary>The longest key accepted.</summary>
    public const int MaxLength = 100;

    /// <summary>A key as Sync keeps it: trimmed, lowercased, without the <c>contact.</c> prefix; null when empty.</summary>
    public static string? Normalize(string? key)
    {
        var trimmed = key?.Trim().ToLowerInvariant();
        if (trimmed is not null && trimmed.StartsWith(ContactPrefix, StringComparison.Ordinal))
        {
            trimmed = trimmed[ContactPrefix.Length..];
        }

        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    /// <summary>True for the values a custom field takes: a string, a number, a boolean, or an array of strings.</summary>
    public static bool IsValue(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => true,
        JsonValueKind.Array => value.EnumerateArray().All(item => item.ValueKind == JsonValueKind.String),
        _ => false,
    };
}
