using Sync.Contracts;
using Sync.Core;

namespace Sync.Storage;

/// <summary>
/// Per location: which contact each match key (email, phone, external id) belongs to, and how recent the last applied
/// event was for each contact and for each (contact, tag) — the staleness guard that keeps old events from
/// overwriting newer ones when redeliveries reorder them.
/// </summary>
/// <remarks>
/// <para>Staleness rule, for contacts and tags alike: an event is <b>stale</b> when the stored time is strictly later
/// than the event's time. Equal times are not stale (several changes carried by one event share its time; duplicates
/// are the inbox's business), and applying one leaves the stored time as it is.</para>
/// <para>The <c>TryAdvance…</c> operations record the event's time in the caller's unit of work, so the guard and the
/// work it guards commit together; concurrent advances of the same contact or tag wait for each other.</para>
/// </remarks>
public interface IContactIndexStore
{
    /// <summary>
    /// Points each key at its contact, creating or replacing entries (last writer wins; guard with
    /// <see cref="TryAdvanceContactAsync"/>). Keys are de-duplicated (the last entry for a key wins) and written in key
    /// order, so concurrent batches with overlapping keys neither deadlock nor duplicate.
    /// </summary>
    Task UpsertKeysAsync(IUnitOfWork unitOfWork, string locationId, IReadOnlyCollection<ContactKeyEntry> entries, CancellationToken cancellationToken);

    /// <summary>The contact a key points at in a location, or null.</summary>
    Task<string?> FindContactIdAsync(string locationId, ContactKey key, CancellationToken cancellationToken);

    /// <summary>Every entry among <paramref name="keys"/> that exists in the location (lookup by any key).</summary>
    Task<IReadOnlyList<ContactKeyEntry>> FindAsync(string locationId, IReadOnlyCollection<ContactKey> keys, CancellationToken cancellationToken);

    /// <summary>Every key that points at a contact.</summary>
    Task<IReadOnlyList<ContactKey>> GetKeysAsync(string locationId, string contactId, CancellationToken cancellationToken);

    /// <summary>
    /// The staleness guard for a contact: returns false (and changes nothing) when an event at
    /// <paramref name="occurredAt"/> is stale, i.e. the stored time is later; otherwise records
    /// max(stored, <paramref name="occurredAt"/>) and returns true.
    /// </summary>
    Task<bool> TryAdvanceContactAsync(IUnitOfWork unitOfWork, string locationId, string contactId, DateTimeOffset occurredAt, CancellationToken cancellationToken);

    /// <summary>
    /// The staleness guard for tags: for each change (tag names compared case-insensitively, the last change of a
    /// tag winning), skips it when the tag's stored time is later than <paramref name="occurredAt"/>, otherwise records
    /// the operation and time. Returns the changes that are not stale (tag names normalised), in tag order. So an add
    /// older than a later remove of the same tag is skipped, and so is a remove older than a later add.
    /// </summary>
    Task<IReadOnlyList<TagChange>> TryAdvanceTagsAsync(
        IUnitOfWork unitOfWork,
        string locationId,
        string contactId,
        IReadOnlyCollection<TagChange> changes,
        DateTimeOffset occurredAt,
        CancellationToken cancellationToken);

    /// <summary>
    /// Marks many messages processed by <paramref name="consumer"/> in the inbox (as
    /// <see cref="IInboxStore.TryMarkProcessedAsync(IUnitOfWork,string,Guid,CancellationToken)"/>) and runs
    /// <see cref="TryAdvanceTagsAsync"/> for each one new to the inbox, in the caller's unit of work (on PostgreSQL, one
    /// round trip); a message already marked advances nothing. Returns, in the order of
    /// <paramref name="marks"/>, null for a message already marked, else the changes found fresh (sorted by tag). The
    /// marks must name distinct messages and distinct contacts (location and contact id): one contact's guard advances
    /// once per unit of work. A message whose effect then cannot be made is taken back with
    /// <see cref="IInboxStore.UnmarkAsync"/> and <see cref="RevertTagsAsync"/> before the others commit.
    /// </summary>
    Task<IReadOnlyList<IReadOnlyList<TagChange>?>> TryMarkAndAdvanceManyAsync(
        IUnitOfWork unitOfWork, string consumer, IReadOnlyList<GuardedMark> marks, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="UpsertKeysAsync"/> for keys of several locations, then commits the unit of work (on PostgreSQL the
    /// statement and the COMMIT go in one round trip). With no entries it only commits. The unit of work cannot be used
    /// afterwards.
    /// </summary>
    Task UpsertKeysOfLocationsAndCommitAsync(
        IUnitOfWork unitOfWork, IReadOnlyCollection<LocatedKeyEntry> entries, CancellationToken cancellationToken);

    /// <summary>
    /// Takes back, inside the unit of work that made them, the last <see cref="TryAdvanceTagsAsync"/> change of each of
    /// <paramref name="tags"/> of one contact: for changes whose effect could not be made (the API call failed), so the
    /// guard records only what reached the API. A tag's record goes back to what it said before that change, or goes
    /// when the change created it. Only tags that change reported fresh, each advanced once in the unit of work.
    /// </summary>
    Task RevertTagsAsync(IUnitOfWork unitOfWork, string locationId, string contactId, IReadOnlyCollection<string> tags, CancellationToken cancellationToken);

    /// <summary>
    /// The stored record of one tag (name compared as <see cref="TryAdvanceTagsAsync"/> does) for each of
    /// <paramref name="contactIds"/> that has one: a plain read, nothing is locked or changed.
    /// </summary>
    Task<IReadOnlyList<TagVersion>> FindTagVersionsAsync(
        string locationId, IReadOnlyCollection<string> contactIds, string tag, CancellationToken cancellationToken);

    /// <summary>Forgets one contact: its keys and its freshness records. Returns the rows removed.</summary>
    Task<int> DeleteContactAsync(IUnitOfWork unitOfWork, string locationId, string contactId, CancellationToken cancellationToken);

    /// <summary>Forgets a whole location (uninstall). Returns the rows removed.</summary>
    Task<int> DeleteLocationAsync(IUnitOfWork unitOfWork, string locationId, CancellationToken cancellationToken);

    /// <summary>Every key of a location, with the contact it points at and when it was written (ordered by contact).</summary>
    Task<IReadOnlyList<IndexedContactKey>> ListKeysAsync(string locationId, CancellationToken cancellationToken);

    /// <summary>Every contact of a location with a freshness record, and the time recorded for it.</summary>
    Task<IReadOnlyList<ContactVersion>> ListContactVersionsAsync(string locationId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes these exact entries (key and contact), except those written at or after <paramref name="writtenBefore"/>
    /// (live traffic wrote them since the caller looked). Returns the rows removed.
    /// </summary>
    Task<int> DeleteKeysAsync(
        IUnitOfWork unitOfWork, string locationId, IReadOnlyCollection<ContactKeyEntry> entries, DateTimeOffset writtenBefore, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets contacts that no longer exist: their keys written before <paramref name="writtenBefore"/>, and the freshness
    /// records (contact and tags) of those no key points at afterwards, the contact's one only when recorded before
    /// <paramref name="writtenBefore"/>. A contact live traffic wrote a key for since then stays whole. Returns the rows removed.
    /// </summary>
    Task<int> DeleteContactsAsync(
        IUnitOfWork unitOfWork, string locationId, IReadOnlyCollection<string> contactIds, DateTimeOffset writtenBefore, CancellationToken cancellationToken);
}

/// <summary>A key of the contact index as stored.</summary>
/// <param name="Key">The key.</param>
/// <param name="ContactId">The contact it points at.</param>
/// <param name="UpdatedAt">When it was last written.</param>
public sealed record IndexedContactKey(ContactKey Key, string ContactId, DateTimeOffset UpdatedAt);

/// <summary>A contact's freshness record: the time of the last event applied to it.</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="LastOccurredAt">The time recorded.</param>
public sealed record ContactVersion(string ContactId, DateTimeOffset LastOccurredAt);

/// <summary>A tag's freshness record: the last operation applied to it and its event's time.</summary>
/// <param name="ContactId">The contact (or guard id) the record is kept under.</param>
/// <param name="Tag">The tag, normalised.</param>
/// <param name="Operation">The last operation recorded.</param>
/// <param name="LastOccurredAt">The time recorded.</param>
public sealed record TagVersion(string ContactId, string Tag, TagOperation Operation, DateTimeOffset LastOccurredAt);

/// <summary>The kinds of key a contact is matched by.</summary>
public enum ContactKeyKind
{
    /// <summary>An email address, lowercased and trimmed.</summary>
    Email,

    /// <summary>A phone number: a leading <c>+</c> and digits only.</summary>
    Phone,

    /// <summary>An id in the source system, trimmed, compared exactly.</summary>
    ExternalId,
}

/// <summary>A normalised match key. Build it with <see cref="Email"/>, <see cref="Phone"/> or <see cref="ExternalId"/>.</summary>
public readonly record struct ContactKey
{
    /// <summary>Longest key value stored.</summary>
    public const int MaxLength = 320;

    private ContactKey(ContactKeyKind kind, string value)
    {
        if (value.Length == 0)
        {
            throw new ArgumentException($"A {kind} key is empty after normalising.", nameof(value));
        }

        if (value.Length > MaxLength)
        {
            throw new ArgumentException($"A {kind} key is longer than {MaxLength} characters.", nameof(value));
        }

        Kind = kind;
        Value = value;
    }

    /// <summary>What the key is.</summary>
    public ContactKeyKind Kind { get; }

    /// <summary>The normalised value.</summary>
    public string Value { get; }

    /// <summary>An email key: trimmed and lowercased (invariant culture).</summary>
    public static ContactKey Email(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return new ContactKey(ContactKeyKind.Email, ContactKeys.NormalizeEmail(email) ?? "");
    }

    /// <summary>A phone key: a leading <c>+</c> kept, every other non-digit removed (<c>+1 (555) 010-0199</c> → <c>+15550100199</c>).</summary>
    public static ContactKey Phone(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        return new ContactKey(ContactKeyKind.Phone, ContactKeys.NormalizePhone(phone) ?? "");
    }

    /// <summary>An external-id key: trimmed, otherwise exact.</summary>
    public static ContactKey ExternalId(string externalId)
    {
        ArgumentNullException.ThrowIfNull(externalId);
        return new ContactKey(ContactKeyKind.ExternalId, externalId.Trim());
    }

    /// <summary>Rebuilds a key of a given kind, normalising the value as that kind's factory does.</summary>
    public static ContactKey Create(ContactKeyKind kind, string value) => kind switch
    {
        ContactKeyKind.Email => Email(value),
        ContactKeyKind.Phone => Phone(value),
        ContactKeyKind.ExternalId => ExternalId(value),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown contact key kind."),
    };

    /// <inheritdoc />
    public override string ToString() => $"{Kind}:{Value}";
}

/// <summary>A key and the contact it points at.</summary>
public sealed record ContactKeyEntry(ContactKey Key, string ContactId);

/// <summary>One tag change of a contact.</summary>
/// <param name="Tag">The tag's name; compared case-insensitively (stored trimmed and lowercased).</param>
/// <param name="Operation">Add or remove.</param>
public sealed record TagChange(string Tag, TagOperation Operation)
{
    /// <summary>Longest tag name stored.</summary>
    public const int MaxTagLength = 255;

    /// <summary>The tag name as stored and compared: trimmed and lowercased (invariant culture).</summary>
    public static string NormaliseTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var normalised = tag.Trim().ToLowerInvariant();
        if (normalised.Length is 0 or > MaxTagLength)
        {
            throw new ArgumentException($"A tag name must have 1 to {MaxTagLength} characters after trimming.", nameof(tag));
        }

        return normalised;
    }
}

/// <summary>One message of <see cref="IContactIndexStore.TryMarkAndAdvanceManyAsync"/>: its id and its contact's guard changes.</summary>
/// <param name="MessageId">The message marked in the inbox.</param>
/// <param name="LocationId">The contact's location.</param>
/// <param name="ContactId">The contact's guard id.</param>
/// <param name="Changes">The guard changes, as <see cref="IContactIndexStore.TryAdvanceTagsAsync"/> takes them.</param>
/// <param name="OccurredAt">When the message's event happened.</param>
public sealed record GuardedMark(Guid MessageId, string LocationId, string ContactId, IReadOnlyCollection<TagChange> Changes, DateTimeOffset OccurredAt);

/// <summary>A key of the contact index with its location.</summary>
/// <param name="LocationId">The location.</param>
/// <param name="Entry">The key and its contact.</param>
public sealed record LocatedKeyEntry(string LocationId, ContactKeyEntry Entry);
