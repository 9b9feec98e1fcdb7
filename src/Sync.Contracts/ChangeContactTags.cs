namespace Sync.Contracts;

/// <summary>
/// Add or remove tags on one contact. Consumed in batches grouped by location: many of these become one
/// <c>POST /contacts/bulk/tags/update/{add|remove}</c> call per (location, operation, tag set).
/// </summary>
/// <param name="LocationId">The location the contact belongs to.</param>
/// <param name="Contact">How to find the contact: its id when known, else a match key resolved through the index.</param>
/// <param name="Operation">Add or remove.</param>
/// <param name="Tags">The tags, as the event named them.</param>
/// <param name="OccurredAt">When the change happened at its source: an older change never overrides a newer one for the same tag.</param>
/// <param name="SourceEventId">The id of the webhook event this came from, for tracing.</param>
public sealed record ChangeContactTags(
    string LocationId,
    ContactReference Contact,
    TagOperation Operation,
    IReadOnlyList<string> Tags,
    DateTimeOffset OccurredAt,
    string SourceEventId);

/// <summary>Add or remove.</summary>
public enum TagOperation
{
    /// <summary>Add the tags.</summary>
    Add,

    /// <summary>Remove the tags.</summary>
    Remove,
}

/// <summary>Identifies a contact within a location: by id when known, else by email, phone or an external id.</summary>
/// <param name="ContactId">The CRM's contact id, when known.</param>
/// <param name="Email">Email address.</param>
/// <param name="Phone">Phone number.</param>
/// <param name="ExternalId">The id the source system uses for the contact.</param>
public sealed record ContactReference(string? ContactId, string? Email, string? Phone, string? ExternalId);
