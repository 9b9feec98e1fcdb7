using Sync.Contracts;

namespace Sync.Core.Events;

/// <summary>A webhook event after normalisation: what it asks Sync to do, independent of who sent it.</summary>
/// <param name="EventId">The event's own id.</param>
/// <param name="LocationId">The location it concerns.</param>
/// <param name="OccurredAt">When it happened at its source: the basis of the staleness guard.</param>
public abstract record SyncEvent(string EventId, string LocationId, DateTimeOffset OccurredAt);

/// <summary>A source asks for a contact to be created or updated; tags to add are applied through the tag endpoints.</summary>
public sealed record ContactUpsertRequested(
    string EventId,
    string LocationId,
    DateTimeOffset OccurredAt,
    ContactFields Fields,
    IReadOnlyList<string> TagsToAdd) : SyncEvent(EventId, LocationId, OccurredAt);

/// <summary>A source asks for tags to be added to or removed from a contact.</summary>
public sealed record ContactTagsChangeRequested(
    string EventId,
    string LocationId,
    DateTimeOffset OccurredAt,
    ContactReference Contact,
    TagOperation Operation,
    IReadOnlyList<string> Tags) : SyncEvent(EventId, LocationId, OccurredAt);

/// <summary>A source asks for a contact to be deleted.</summary>
public sealed record ContactDeleteRequested(
    string EventId,
    string LocationId,
    DateTimeOffset OccurredAt,
    ContactReference Contact) : SyncEvent(EventId, LocationId, OccurredAt);

/// <summary>The platform reports a contact's current state (create, update, tag update): it keeps the contact index fresh.</summary>
public sealed record PlatformContactChanged(
    string EventId,
    string LocationId,
    DateTimeOffset OccurredAt,
    string ContactId,
    string? Email,
    string? Phone,
    IReadOnlyList<string>? Tags) : SyncEvent(EventId, LocationId, OccurredAt);

/// <summary>The platform reports a contact deleted.</summary>
public sealed record PlatformContactDeleted(
    string EventId,
    string LocationId,
    DateTimeOffset OccurredAt,
    string ContactId) : SyncEvent(EventId, LocationId, OccurredAt);

/// <summary>The app was installed in a location (INSTALL).</summary>
public sealed record AppInstalled(
    string EventId,
    string LocationId,
    DateTimeOffset OccurredAt,
    string? CompanyId) : SyncEvent(EventId, LocationId, OccurredAt);

/// <summary>The app was uninstalled from a location (UNINSTALL): its tokens, index and pending work are forgotten.</summary>
public sealed record AppUninstalled(
    string EventId,
    string LocationId,
    DateTimeOffset OccurredAt) : SyncEvent(EventId, LocationId, OccurredAt);

/// <summary>A valid event Sync has nothing to do for (e.g. <c>ContactDndUpdate</c>); acknowledged and recorded as ignored.</summary>
public sealed record EventIgnored(
    string EventId,
    string LocationId,
    DateTimeOffset OccurredAt,
    string EventType) : SyncEvent(EventId, LocationId, OccurredAt);
