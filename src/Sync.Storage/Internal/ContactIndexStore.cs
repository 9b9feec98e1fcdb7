using System.Text.Json;
using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>
/// The contact index over either provider. Batches are de-duplicated and sorted by key here, before any provider
/// sees them, so every transaction locks keys in the same order.
/// </summary>
internal abstract class ContactIndexStore(StorageDatabase database, TimeProvider time, ContactIndexStore.Statements sql) : IContactIndexStore
{
    protected StorageDatabase Database { get; } = database;

    public Task UpsertKeysAsync(IUnitOfWork unitOfWork, string locationId, IReadOnlyCollection<ContactKeyEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        return UpsertSortedKeysAsync(unitOfWork, locationId, SortKeys(entries), time.GetUtcNow(), cancellationToken);
    }

    public async Task<IReadOnlyList<IReadOnlyList<TagChange>?>> TryMarkAndAdvanceManyAsync(
        IUnitOfWork unitOfWork, string consumer, IReadOnlyList<GuardedMark> marks, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        ArgumentNullException.ThrowIfNull(marks);
        if (marks.Count == 0)
        {
            return [];
        }

        if (marks.Select(m => m.MessageId).Distinct().Count() != marks.Count)
        {
            throw new ArgumentException("The marks must name distinct messages.", nameof(marks));
        }

        if (marks.Select(m => (m.LocationId, m.ContactId)).Distinct().Count() != marks.Count)
        {
            throw new ArgumentException("The marks must name distinct contacts: a contact's guard advances once per unit of work.", nameof(marks));
        }

        // Every unit of work takes the inbox's rows in message order and the guard's in (location, contact, tag) order.
        var sorted = marks
            .Select((m, i) => new SortedMark(i, m.MessageId, m.LocationId, m.ContactId, SortChanges(m.Changes), DbValues.Utc(m.OccurredAt)))
            .OrderBy(m => m.LocationId, StringComparer.Ordinal)
            .ThenBy(m => m.ContactId, StringComparer.Ordinal)
            .ToList();
        var fresh = await TryMarkAndAdvanceSortedManyAsync(unitOfWork, consumer, time.GetUtcNow(), sorted, cancellationToken);
        var results = new IReadOnlyList<TagChange>?[marks.Count];
        for (var i = 0; i < sorted.Count; i++)
        {
            results[sorted[i].Index] = fresh[i]?.OrderBy(c => c.Tag, StringComparer.Ordinal).ToList();
        }

        return results;
    }

    public Task UpsertKeysOfLocationsAndCommitAsync(IUnitOfWork unitOfWork, IReadOnlyCollection<LocatedKeyEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return unitOfWork.CommitAsync(cancellationToken);
        }

        var sorted = entries
            .GroupBy(e => e.LocationId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (LocationId: g.Key, Keys: (IReadOnlyList<(string Kind, string Value, string ContactId)>)SortKeys(g.Select(e => e.Entry).ToList())))
            .ToList();
        return UpsertSortedKeysOfLocationsAndCommitAsync(unitOfWork, sorted, time.GetUtcNow(), cancellationToken);
    }

    public async Task<string?> FindContactIdAsync(string locationId, ContactKey key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        await using var connection = await Database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(Database.Command(
            sql.FindOne, new { LocationId = locationId, Kind = DbValues.ToDb(key.Kind), key.Value }, transaction: null, cancellationToken));
    }

    public async Task<IReadOnlyList<ContactKeyEntry>> FindAsync(string locationId, IReadOnlyCollection<ContactKey> keys, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        var distinct = keys.Distinct().Select(k => (Kind: DbValues.ToDb(k.Kind), k.Value)).ToList();
        await using var connection = await Database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<KeyRow>(Database.Command(
            sql.FindMany, KeyListParameters(locationId, distinct), transaction: null, cancellationToken));
        return rows.Select(ToEntry).ToList();
    }

    public async Task<IReadOnlyList<ContactKey>> GetKeysAsync(string locationId, string contactId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(contactId);
        await using var connection = await Database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<KeyRow>(Database.Command(
            sql.KeysOfContact, new { LocationId = locationId, ContactId = contactId }, transaction: null, cancellationToken));
        return rows.Select(r => ToEntry(r).Key).ToList();
    }

    public Task<bool> TryAdvanceContactAsync(IUnitOfWork unitOfWork, string locationId, string contactId, DateTimeOffset occurredAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(contactId);
        return TryAdvanceContactCoreAsync(unitOfWork, new { LocationId = locationId, ContactId = contactId, OccurredAt = DbValues.Utc(occurredAt) }, cancellationToken);
    }

    public async Task<IReadOnlyList<TagChange>> TryAdvanceTagsAsync(
        IUnitOfWork unitOfWork,
        string locationId,
        string contactId,
        IReadOnlyCollection<TagChange> changes,
        DateTimeOffset occurredAt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(contactId);
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return [];
        }

        var applied = await TryAdvanceSortedTagsAsync(unitOfWork, locationId, contactId, SortChanges(changes), DbValues.Utc(occurredAt), cancellationToken);
        return applied.OrderBy(c => c.Tag, StringComparer.Ordinal).ToList();
    }

    public Task RevertTagsAsync(IUnitOfWork unitOfWork, string locationId, string contactId, IReadOnlyCollection<string> tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(contactId);
        ArgumentNullException.ThrowIfNull(tags);
        var sorted = tags.Select(TagChange.NormaliseTag).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return sorted.Count == 0 ? Task.CompletedTask : RevertSortedTagsAsync(unitOfWork, locationId, contactId, sorted, cancellationToken);
    }

    public async Task<IReadOnlyList<TagVersion>> FindTagVersionsAsync(
        string locationId, IReadOnlyCollection<string> contactIds, string tag, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(contactIds);
        var normalised = TagChange.NormaliseTag(tag);
        if (contactIds.Count == 0)
        {
            return [];
        }

        var versions = new List<TagVersion>();
        await using var connection = await Database.OpenAsync(cancellationToken);
        foreach (var chunk in contactIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Chunk(ChunkSize))
        {
            var rows = await connection.QueryAsync<TagVersionRow>(Database.Command(
                sql.TagVersionsOfContacts, TagVersionsParameters(locationId, chunk, normalised), transaction: null, cancellationToken));
            versions.AddRange(rows.Select(r => new TagVersion(r.ContactId, r.Tag, DbValues.TagOperationFromDb(r.Operation), r.LastOccurredAt)));
        }

        return versions;
    }

    public async Task<int> DeleteContactAsync(IUnitOfWork unitOfWork, string locationId, string contactId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(contactId);
        return await unitOfWork.Connection.ExecuteAsync(Database.Command(
            sql.DeleteContact, new { LocationId = locationId, ContactId = contactId }, unitOfWork, cancellationToken));
    }

    public async Task<int> DeleteLocationAsync(IUnitOfWork unitOfWork, string locationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        return await unitOfWork.Connection.ExecuteAsync(Database.Command(
            sql.DeleteLocation, new { LocationId = locationId }, unitOfWork, cancellationToken));
    }

    public async Task<IReadOnlyList<IndexedContactKey>> ListKeysAsync(string locationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        await using var connection = await Database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<KeyRow>(Database.Command(
            sql.KeysOfLocation, new { LocationId = locationId }, transaction: null, cancellationToken));
        return rows.Select(r => new IndexedContactKey(ToEntry(r).Key, r.ContactId, r.UpdatedAt)).ToList();
    }

    public async Task<IReadOnlyList<ContactVersion>> ListContactVersionsAsync(string locationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        await using var connection = await Database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<VersionRow>(Database.Command(
            sql.VersionsOfLocation, new { LocationId = locationId }, transaction: null, cancellationToken));
        return rows.Select(r => new ContactVersion(r.ContactId, r.LastOccurredAt)).ToList();
    }

    public async Task<int> DeleteKeysAsync(
        IUnitOfWork unitOfWork, string locationId, IReadOnlyCollection<ContactKeyEntry> entries, DateTimeOffset writtenBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(entries);
        var removed = 0;
        foreach (var chunk in entries.Select(e => (Kind: DbValues.ToDb(e.Key.Kind), e.Key.Value, e.ContactId)).Distinct().Chunk(ChunkSize))
        {
            removed += await unitOfWork.Connection.ExecuteAsync(Database.Command(
                sql.DeleteKeys, DeleteKeysParameters(locationId, chunk, DbValues.Utc(writtenBefore)), unitOfWork, cancellationToken));
        }

        return removed;
    }

    public async Task<int> DeleteContactsAsync(
        IUnitOfWork unitOfWork, string locationId, IReadOnlyCollection<string> contactIds, DateTimeOffset writtenBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(contactIds);
        var removed = 0;
        foreach (var chunk in contactIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Chunk(ChunkSize))
        {
            removed += await unitOfWork.Connection.ExecuteAsync(Database.Command(
                sql.DeleteContacts, DeleteContactsParameters(locationId, chunk, DbValues.Utc(writtenBefore)), unitOfWork, cancellationToken));
        }

        return removed;
    }

    /// <summary>The parameters of the delete-keys statement: LocationId, Before and the (kind, value, contact) rows.</summary>
    protected abstract object DeleteKeysParameters(string locationId, IReadOnlyList<(string Kind, string Value, string ContactId)> keys, DateTimeOffset before);

    /// <summary>The parameters of the tag-versions statement: LocationId, Tag and the contact ids.</summary>
    protected abstract object TagVersionsParameters(string locationId, IReadOnlyList<string> contactIds, string tag);

    /// <summary>The parameters of the delete-contacts statement: LocationId, Before and the contact ids.</summary>
    protected abstract object DeleteContactsParameters(string locationId, IReadOnlyList<string> contactIds, DateTimeOffset before);

    /// <summary>Writes keys already de-duplicated and sorted by (kind, value).</summary>
    protected abstract Task UpsertSortedKeysAsync(
        IUnitOfWork unitOfWork, string locationId, IReadOnlyList<(string Kind, string Value, string ContactId)> keys, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Marks each message and advances the guard of each message new to the inbox; marks sorted by (location, contact)
    /// and their changes normalised, de-duplicated and sorted by tag. Results in the order of <paramref name="marks"/>.
    /// </summary>
    protected abstract Task<IReadOnlyList<IReadOnlyList<TagChange>?>> TryMarkAndAdvanceSortedManyAsync(
        IUnitOfWork unitOfWork, string consumer, DateTimeOffset processedAt, IReadOnlyList<SortedMark> marks, CancellationToken cancellationToken);

    /// <summary>Writes keys grouped by location (locations sorted, each one's keys as <see cref="UpsertSortedKeysAsync"/>), then commits.</summary>
    protected abstract Task UpsertSortedKeysOfLocationsAndCommitAsync(
        IUnitOfWork unitOfWork, IReadOnlyList<(string LocationId, IReadOnlyList<(string Kind, string Value, string ContactId)> Keys)> keys,
        DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The parameters of the find-many statement: location and keys.</summary>
    protected abstract object KeyListParameters(string locationId, IReadOnlyList<(string Kind, string Value)> keys);

    /// <summary>Runs the contact staleness guard with parameters LocationId, ContactId, OccurredAt.</summary>
    protected abstract Task<bool> TryAdvanceContactCoreAsync(IUnitOfWork unitOfWork, object parameters, CancellationToken cancellationToken);

    /// <summary>Runs the tag staleness guard on changes already normalised, de-duplicated and sorted by tag.</summary>
    protected abstract Task<IReadOnlyList<TagChange>> TryAdvanceSortedTagsAsync(
        IUnitOfWork unitOfWork, string locationId, string contactId, IReadOnlyList<TagChange> changes, DateTimeOffset occurredAt, CancellationToken cancellationToken);

    /// <summary>Takes back the last change of tags already normalised, de-duplicated and sorted.</summary>
    protected abstract Task RevertSortedTagsAsync(
        IUnitOfWork unitOfWork, string locationId, string contactId, IReadOnlyList<string> tags, CancellationToken cancellationToken);

    private static List<(string Kind, string Value, string ContactId)> SortKeys(IReadOnlyCollection<ContactKeyEntry> entries) =>
        entries
            .GroupBy(e => (Kind: DbValues.ToDb(e.Key.Kind), e.Key.Value))
            .Select(g => (g.Key.Kind, g.Key.Value, ContactId: g.Last().ContactId))
            .OrderBy(e => e.Kind, StringComparer.Ordinal)
            .ThenBy(e => e.Value, StringComparer.Ordinal)
            .ToList();

    private static List<TagChange> SortChanges(IReadOnlyCollection<TagChange> changes) =>
        changes
            .GroupBy(c => TagChange.NormaliseTag(c.Tag), StringComparer.Ordinal)
            .Select(g => new TagChange(g.Key, g.Last().Operation))
            .OrderBy(c => c.Tag, StringComparer.Ordinal)
            .ToList();

    private static ContactKeyEntry ToEntry(KeyRow row) =>
        new(ContactKey.Create(DbValues.ContactKeyKindFromDb(row.Kind), row.Value), row.ContactId);

    /// <summary>One mark of <see cref="TryMarkAndAdvanceManyAsync"/>, its changes sorted, with its place in the caller's list.</summary>
    internal sealed record SortedMark(int Index, Guid MessageId, string LocationId, string ContactId, IReadOnlyList<TagChange> Changes, DateTimeOffset OccurredAt);

    internal sealed record Statements(
        string FindOne, string FindMany, string KeysOfContact, string DeleteContact, string DeleteLocation,
        string KeysOfLocation, string VersionsOfLocation, string DeleteKeys, string DeleteContacts, string TagVersionsOfContacts);

    // Rows per statement of a bulk delete: well within either provider's parameter and plan limits.
    private const int ChunkSize = 1000;

    private sealed class VersionRow
    {
        public string ContactId { get; set; } = "";

        public DateTimeOffset LastOccurredAt { get; set; }
    }

    private sealed class TagVersionRow
    {
        public string ContactId { get; set; } = "";

        public string Tag { get; set; } = "";

        public string Operation { get; set; } = "";

        public DateTimeOffset LastOccurredAt { get; set; }
    }

    private sealed class KeyRow
    {
        public DateTimeOffset UpdatedAt { get; set; }

        public string Kind { get; set; } = "";

        public string Value { get; set; } = "";

        public string ContactId { get; set; } = "";
    }
}

internal sealed class SqlServerContactIndexStore(StorageDatabase database, TimeProvider time) : ContactIndexStore(database, time, new(
    SqlServerStatements.ContactKeysFindOne,
    SqlServerStatements.ContactKeysFindMany,
    SqlServerStatements.ContactKeysOfContact,
    SqlServerStatements.ContactDelete,
    SqlServerStatements.ContactIndexDeleteLocation,
    SqlServerStatements.ContactKeysOfLocation,
    SqlServerStatements.ContactVersionsOfLocation,
    SqlServerStatements.ContactKeysDeleteMany,
    SqlServerStatements.ContactsDeleteMany,
    SqlServerStatements.ContactTagVersionsOfContacts))
{
    private readonly SqlServerInboxStore _inbox = new(database, time);

    protected override object DeleteKeysParameters(string locationId, IReadOnlyList<(string Kind, string Value, string ContactId)> keys, DateTimeOffset before) =>
        new
        {
            LocationId = locationId,
            Before = before,
            Keys = JsonSerializer.Serialize(keys.Select(k => new { kind = k.Kind, value = k.Value, contactId = k.ContactId })),
        };

    protected override object DeleteContactsParameters(string locationId, IReadOnlyList<string> contactIds, DateTimeOffset before) =>
        new { LocationId = locationId, Before = before, ContactIds = JsonSerializer.Serialize(contactIds) };

    protected override object TagVersionsParameters(string locationId, IReadOnlyList<string> contactIds, string tag) =>
        new { LocationId = locationId, Tag = tag, ContactIds = JsonSerializer.Serialize(contactIds) };

    protected override async Task UpsertSortedKeysAsync(
        IUnitOfWork unitOfWork, string locationId, IReadOnlyList<(string Kind, string Value, string ContactId)> keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // One statement per key, in key order, all in the caller's transaction: the range locks are taken in one order.
        foreach (var (kind, value, contactId) in keys)
        {
            await unitOfWork.Connection.ExecuteAsync(Database.Command(
                SqlServerStatements.ContactKeyUpsert,
                new { LocationId = locationId, Kind = kind, Value = value, ContactId = contactId, UpdatedAt = now },
                unitOfWork,
                cancellationToken));
        }
    }

    protected override object KeyListParameters(string locationId, IReadOnlyList<(string Kind, string Value)> keys) =>
        new { LocationId = locationId, Keys = JsonSerializer.Serialize(keys.Select(k => new { kind = k.Kind, value = k.Value })) };

    // SQL Server takes the statements one after the other (the inbox mark, one statement per tag and per key): the same
    // effects and locks in the same order, in more round trips.
    private async Task<IReadOnlyList<TagChange>?> TryMarkAndAdvanceSortedTagsAsync(
        IUnitOfWork unitOfWork, string consumer, Guid messageId, DateTimeOffset processedAt, string locationId, string contactId,
        IReadOnlyList<TagChange> changes, DateTimeOffset occurredAt, CancellationToken cancellationToken)
    {
        if (!await _inbox.TryMarkProcessedAsync(unitOfWork, consumer, messageId, cancellationToken))
        {
            return null;
        }

        return changes.Count == 0 ? [] : await TryAdvanceSortedTagsAsync(unitOfWork, locationId, contactId, changes, occurredAt, cancellationToken);
    }

    // One message after the other, in the caller's transaction: the same effects and locks in the same order.
    protected override async Task<IReadOnlyList<IReadOnlyList<TagChange>?>> TryMarkAndAdvanceSortedManyAsync(
        IUnitOfWork unitOfWork, string consumer, DateTimeOffset processedAt, IReadOnlyList<SortedMark> marks, CancellationToken cancellationToken)
    {
        var results = new List<IReadOnlyList<TagChange>?>(marks.Count);
        foreach (var mark in marks)
        {
            results.Add(await TryMarkAndAdvanceSortedTagsAsync(unitOfWork, consumer, mark.MessageId, processedAt, mark.LocationId, mark.ContactId,
                mark.Changes, mark.OccurredAt, cancellationToken));
        }

        return results;
    }

    protected override async Task UpsertSortedKeysOfLocationsAndCommitAsync(
        IUnitOfWork unitOfWork, IReadOnlyList<(string LocationId, IReadOnlyList<(string Kind, string Value, string ContactId)> Keys)> keys,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var (locationId, ofLocation) in keys)
        {
            await UpsertSortedKeysAsync(unitOfWork, locationId, ofLocation, now, cancellationToken);
        }

        await unitOfWork.CommitAsync(cancellationToken);
    }

    protected override async Task<bool> TryAdvanceContactCoreAsync(IUnitOfWork unitOfWork, object parameters, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.ExecuteScalarAsync<int>(Database.Command(SqlServerStatements.ContactAdvance, parameters, unitOfWork, cancellationToken)) == 1;

    protected override async Task<IReadOnlyList<TagChange>> TryAdvanceSortedTagsAsync(
        IUnitOfWork unitOfWork, string locationId, string contactId, IReadOnlyList<TagChange> changes, DateTimeOffset occurredAt, CancellationToken cancellationToken)
    {
        var applied = new List<TagChange>(changes.Count);
        foreach (var change in changes)
        {
            var fresh = await unitOfWork.Connection.ExecuteScalarAsync<int>(Database.Command(
                SqlServerStatements.ContactTagAdvance,
                new { LocationId = locationId, ContactId = contactId, change.Tag, Operation = DbValues.ToDb(change.Operation), OccurredAt = occurredAt },
                unitOfWork,
                cancellationToken));
            if (fresh == 1)
            {
                applied.Add(change);
            }
        }

        return applied;
    }
    protected override async Task RevertSortedTagsAsync(
        IUnitOfWork unitOfWork, string locationId, string contactId, IReadOnlyList<string> tags, CancellationToken cancellationToken)
    {
        foreach (var tag in tags)
        {
            await unitOfWork.Connection.ExecuteAsync(Database.Command(
                SqlServerStatements.ContactTagRevert, new { LocationId = locationId, ContactId = contactId, Tag = tag }, unitOfWork, cancellationToken));
        }
    }
}

internal sealed class PostgreSqlContactIndexStore(StorageDatabase database, TimeProvider time) : ContactIndexStore(database, time, new(
    PostgreSqlStatements.ContactKeysFindOne,
    PostgreSqlStatements.ContactKeysFindMany,
    PostgreSqlStatements.ContactKeysOfContact,
    PostgreSqlStatements.ContactDelete,
    PostgreSqlStatements.ContactIndexDeleteLocation,
    PostgreSqlStatements.ContactKeysOfLocation,
    PostgreSqlStatements.ContactVersionsOfLocation,
    PostgreSqlStatements.ContactKeysDeleteMany,
    PostgreSqlStatements.ContactsDeleteMany,
    PostgreSqlStatements.ContactTagVersionsOfContacts))
{
    protected override object DeleteKeysParameters(string locationId, IReadOnlyList<(string Kind, string Value, string ContactId)> keys, DateTimeOffset before) =>
        new
        {
            LocationId = locationId,
            Before = before,
            Kinds = keys.Select(k => k.Kind).ToArray(),
            Values = keys.Select(k => k.Value).ToArray(),
            ContactIds = keys.Select(k => k.ContactId).ToArray(),
        };

    protected override object DeleteContactsParameters(string locationId, IReadOnlyList<string> contactIds, DateTimeOffset before) =>
        new { LocationId = locationId, Before = before, ContactIds = contactIds.ToArray() };

    protected override object TagVersionsParameters(string locationId, IReadOnlyList<string> contactIds, string tag) =>
        new { LocationId = locationId, Tag = tag, ContactIds = contactIds.ToArray() };

    protected override Task UpsertSortedKeysAsync(
        IUnitOfWork unitOfWork, string locationId, IReadOnlyList<(string Kind, string Value, string ContactId)> keys, DateTimeOffset now, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(Database.Command(
            PostgreSqlStatements.ContactKeysUpsert, KeysParameters(locationId, keys, now), unitOfWork, cancellationToken));

    private static object KeysParameters(string locationId, IReadOnlyList<(string Kind, string Value, string ContactId)> keys, DateTimeOffset now) =>
        new
        {
            LocationId = locationId,
            Kinds = keys.Select(k => k.Kind).ToArray(),
            Values = keys.Select(k => k.Value).ToArray(),
            ContactIds = keys.Select(k => k.ContactId).ToArray(),
            UpdatedAt = now,
        };

    protected override object KeyListParameters(string locationId, IReadOnlyList<(string Kind, string Value)> keys) =>
        new { LocationId = locationId, Kinds = keys.Select(k => k.Kind).ToArray(), Values = keys.Select(k => k.Value).ToArray() };

    protected override async Task<IReadOnlyList<IReadOnlyList<TagChange>?>> TryMarkAndAdvanceSortedManyAsync(
        IUnitOfWork unitOfWork, string consumer, DateTimeOffset processedAt, IReadOnlyList<SortedMark> marks, CancellationToken cancellationToken)
    {
        var changes = marks.SelectMany(m => m.Changes.Select(c => (Mark: m, Change: c))).ToList();
        var rows = await unitOfWork.Connection.QueryAsync<MarkOrAdvanceRow>(Database.Command(
            PostgreSqlStatements.InboxMarkThenContactTagsAdvanceMany,
            new
            {
                Consumer = consumer,
                ProcessedAt = processedAt,
                MessageIds = marks.Select(m => m.MessageId).Order().ToArray(),
                ChangeMessageIds = changes.Select(c => c.Mark.MessageId).ToArray(),
                LocationIds = changes.Select(c => c.Mark.LocationId).ToArray(),
                ContactIds = changes.Select(c => c.Mark.ContactId).ToArray(),
                Tags = changes.Select(c => c.Change.Tag).ToArray(),
                Operations = changes.Select(c => DbValues.ToDb(c.Change.Operation)).ToArray(),
                OccurredAts = changes.Select(c => c.Mark.OccurredAt).ToArray(),
            },
            unitOfWork,
            cancellationToken));
        var marked = new HashSet<Guid>();
        var advanced = new Dictionary<(string, string), List<TagChange>>();
        foreach (var row in rows)
        {
            if (row.MessageId is { } messageId)
            {
                marked.Add(messageId);
            }
            else
            {
                var key = (row.LocationId!, row.ContactId!);
                if (!advanced.TryGetValue(key, out var list))
                {
                    advanced[key] = list = [];
                }

                list.Add(new TagChange(row.Tag!, DbValues.TagOperationFromDb(row.Operation!)));
            }
        }

        return marks.Select(m => marked.Contains(m.MessageId)
            ? (IReadOnlyList<TagChange>?)(advanced.TryGetValue((m.LocationId, m.ContactId), out var fresh) ? fresh : [])
            : null).ToList();
    }

    protected override Task UpsertSortedKeysOfLocationsAndCommitAsync(
        IUnitOfWork unitOfWork, IReadOnlyList<(string LocationId, IReadOnlyList<(string Kind, string Value, string ContactId)> Keys)> keys,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var own = unitOfWork as UnitOfWork
                  ?? throw new ArgumentException("The unit of work must come from this store's IUnitOfWorkFactory.", nameof(unitOfWork));
        var rows = keys.SelectMany(l => l.Keys.Select(k => (l.LocationId, k.Kind, k.Value, k.ContactId))).ToList();
        return own.ExecuteAndCommitAsync(PostgreSqlStatements.ContactKeysOfLocationsUpsert,
            new
            {
                LocationIds = rows.Select(r => r.LocationId).ToArray(),
                Kinds = rows.Select(r => r.Kind).ToArray(),
                Values = rows.Select(r => r.Value).ToArray(),
                ContactIds = rows.Select(r => r.ContactId).ToArray(),
                UpdatedAt = now,
            },
            Database.CommandTimeoutSeconds, cancellationToken);
    }

    private sealed class MarkOrAdvanceRow
    {
        public Guid? MessageId { get; set; }

        public string? LocationId { get; set; }

        public string? ContactId { get; set; }

        public string? Tag { get; set; }

        public string? Operation { get; set; }
    }

    protected override async Task<bool> TryAdvanceContactCoreAsync(IUnitOfWork unitOfWork, object parameters, CancellationToken cancellationToken) =>
        await unitOfWork.Connection.ExecuteAsync(Database.Command(PostgreSqlStatements.ContactAdvance, parameters, unitOfWork, cancellationToken)) == 1;

    protected override async Task<IReadOnlyList<TagChange>> TryAdvanceSortedTagsAsync(
        IUnitOfWork unitOfWork, string locationId, string contactId, IReadOnlyList<TagChange> changes, DateTimeOffset occurredAt, CancellationToken cancellationToken)
    {
        var rows = await unitOfWork.Connection.QueryAsync<(string Tag, string Operation)>(Database.Command(
            PostgreSqlStatements.ContactTagsAdvance,
            new
            {
                LocationId = locationId,
                ContactId = contactId,
                Tags = changes.Select(c => c.Tag).ToArray(),
                Operations = changes.Select(c => DbValues.ToDb(c.Operation)).ToArray(),
                OccurredAt = occurredAt,
            },
            unitOfWork,
            cancellationToken));
        return rows.Select(r => new TagChange(r.Tag, DbValues.TagOperationFromDb(r.Operation))).ToList();
    }

    protected override Task RevertSortedTagsAsync(
        IUnitOfWork unitOfWork, string locationId, string contactId, IReadOnlyList<string> tags, CancellationToken cancellationToken) =>
        unitOfWork.Connection.ExecuteAsync(Database.Command(
            PostgreSqlStatements.ContactTagsRevert, new { LocationId = locationId, ContactId = contactId, Tags = tags.ToArray() }, unitOfWork, cancellationToken));
}
