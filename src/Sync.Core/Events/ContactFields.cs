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
}
