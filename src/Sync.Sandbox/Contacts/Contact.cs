using System.Globalization;
using System.Text.Json;

namespace Sync.Sandbox.Contacts;

/// <summary>A stored contact. Mutated only under its location's lock; read through <see cref="ToView"/> snapshots.</summary>
internal sealed class Contact
{
    public Contact(string id, string locationId, long sequence, long dateAddedMs)
    {
        Id = id;
        LocationId = locationId;
        Sequence = sequence;
        DateAddedMs = dateAddedMs;
        DateAdded = FormatDate(dateAddedMs);
        DateUpdated = DateAdded;
    }

    public string Id { get; }

    public string LocationId { get; }

    /// <summary>Insertion order within the location; ties of <see cref="DateAddedMs"/> are broken by it.</summary>
    public long Sequence { get; }

    public long DateAddedMs { get; }

    public string DateAdded { get; }

    public string DateUpdated { get; set; }

    public string? Email { get; set; }

    public string? Phone { get; set; }

    public string? FirstName { get; set; }

    public string? LastName { get; set; }

    public string? Name { get; set; }

    public string? CompanyName { get; set; }

    public string? Address1 { get; set; }

    public string? City { get; set; }

    public string? State { get; set; }

    public string? PostalCode { get; set; }

    public string? Country { get; set; }

    public string? Website { get; set; }

    public string? Timezone { get; set; }

    public string? Source { get; set; }

    public string? DateOfBirth { get; set; }

    public string? AssignedTo { get; set; }

    public string? Gender { get; set; }

    public bool? Dnd { get; set; }

    /// <summary>Tags in the order they were added, lowercased and trimmed as the platform keeps them.</summary>
    public List<string> Tags { get; } = [];

    public Dictionary<string, JsonElement> CustomFields { get; } = new(StringComparer.Ordinal);

    public ContactView ToView(bool withCursor = false) => new()
    {
        Id = Id,
        LocationId = LocationId,
        Email = Email,
        Phone = Phone,
        FirstName = FirstName,
        LastName = LastName,
        Name = Name,
        ContactName = ContactNameOf(FirstName, LastName, Name),
        CompanyName = CompanyName,
        Address1 = Address1,
        City = City,
        State = State,
        PostalCode = PostalCode,
        Country = Country,
        Website = Website,
        Timezone = Timezone,
        Source = Source,
        DateOfBirth = DateOfBirth,
        AssignedTo = AssignedTo,
        Gender = Gender,
        Dnd = Dnd ?? false,
        Type = "lead",
        Tags = [.. Tags],
        CustomFields = CustomFields.Count == 0 ? [] : [.. CustomFields.Select(p => new CustomFieldView(p.Key, p.Value))],
        DateAdded = DateAdded,
        DateAddedMs = DateAddedMs,
        DateUpdated = DateUpdated,
        SearchAfter = withCursor ? [DateAddedMs, Id] : null,
    };

    public static string FormatDate(long epochMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(epochMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string? ContactNameOf(string? first, string? last, string? name)
    {
        var joined = string.Join(' ', new[] { first, last }.Where(s => !string.IsNullOrWhiteSpace(s)));
        return joined.Length > 0 ? joined.ToLowerInvariant() : name?.ToLowerInvariant();
    }
}

/// <summary>A contact as the API shows it.</summary>
public sealed record ContactView
{
    /// <summary>The contact id (20 alphanumeric characters).</summary>
    public required string Id { get; init; }

    /// <summary>The location it belongs to.</summary>
    public required string LocationId { get; init; }

    /// <summary>Email, lowercased.</summary>
    public string? Email { get; init; }

    /// <summary>Phone in E.164 form.</summary>
    public string? Phone { get; init; }

    /// <summary>First name.</summary>
    public string? FirstName { get; init; }

    /// <summary>Last name.</summary>
    public string? LastName { get; init; }

    /// <summary>Full name as given.</summary>
    public string? Name { get; init; }

    /// <summary>Lowercased display name, as the platform derives it.</summary>
    public string? ContactName { get; init; }

    /// <summary>Company name.</summary>
    public string? CompanyName { get; init; }

    /// <summary>Street address.</summary>
    public string? Address1 { get; init; }

    /// <summary>City.</summary>
    public string? City { get; init; }

    /// <summary>State.</summary>
    public string? State { get; init; }

    /// <summary>Postal code.</summary>
    public string? PostalCode { get; init; }

    /// <summary>Country.</summary>
    public string? Country { get; init; }

    /// <summary>Website.</summary>
    public string? Website { get; init; }

    /// <summary>Time zone.</summary>
    public string? Timezone { get; init; }

    /// <summary>Lead source.</summary>
    public string? Source { get; init; }

    /// <summary>Date of birth.</summary>
    public string? DateOfBirth { get; init; }

    /// <summary>Assigned user.</summary>
    public string? AssignedTo { get; init; }

    /// <summary>Gender.</summary>
    public string? Gender { get; init; }

    /// <summary>Do-not-disturb.</summary>
    public bool Dnd { get; init; }

    /// <summary>Always <c>lead</c>.</summary>
    public string? Type { get; init; }

    /// <summary>Tags, lowercased.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Custom field values.</summary>
    public required IReadOnlyList<CustomFieldView> CustomFields { get; init; }

    /// <summary>Creation time, ISO-8601 UTC with milliseconds.</summary>
    public required string DateAdded { get; init; }

    /// <summary>Creation time in epoch milliseconds (the legacy list's <c>startAfter</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long DateAddedMs { get; init; }

    /// <summary>Last change, ISO-8601 UTC with milliseconds.</summary>
    public required string DateUpdated { get; init; }

    /// <summary>The cursor to pass as <c>searchAfter</c> (search results only): [dateAdded epoch ms, id].</summary>
    public object[]? SearchAfter { get; init; }
}

/// <summary>A custom field value of a contact.</summary>
/// <param name="Id">The field's id (or key, when it was set by key).</param>
/// <param name="Value">The value as given.</param>
public sealed record CustomFieldView(string Id, JsonElement Value);
