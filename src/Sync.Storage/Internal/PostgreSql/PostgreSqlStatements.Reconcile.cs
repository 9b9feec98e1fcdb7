namespace Sync.Storage.Internal.PostgreSql;

/// <summary>Statements of the contact index rebuild (reconcile) and its per-location lease.</summary>
internal static partial class PostgreSqlStatements
{
    public const string ContactKeysOfLocation = $"""
        SELECT key_kind AS Kind, key_value AS Value, contact_id AS ContactId, updated_at AS UpdatedAt
        FROM {Tables.ContactKeys}
        WHERE location_id = @LocationId
        ORDER BY contact_id, key_kind, key_value
        """;

    public const string ContactVersionsOfLocation = $"""
        SELECT contact_id AS ContactId, last_occurred_at AS LastOccurredAt
        FROM {Tables.ContactVersions}
        WHERE location_id = @LocationId
        ORDER BY contact_id
        """;

    /// <summary>Deletes the given (kind, value, contact) rows, unless written since <c>@Before</c>.</summary>
    public const string ContactKeysDeleteMany = $"""
        DELETE FROM {Tables.ContactKeys} AS k
        USING unnest(@Kinds::text[], @Values::text[], @ContactIds::text[]) AS b(kind, value, contact_id)
        WHERE k.location_id = @LocationId AND k.key_kind = b.kind AND k.key_value = b.value AND k.contact_id = b.contact_id
          AND k.updated_at < @Before
        """;

    /// <summary>
    /// Forgets contacts: their keys written before <c>@Before</c>, then the freshness records of those that no key points
    /// at any more (a key written since means live traffic knows the contact: it stays whole).
    /// </summary>
    public const string ContactsDeleteMany = $"""
        DELETE FROM {Tables.ContactKeys}
        WHERE location_id = @LocationId AND contact_id = ANY(@ContactIds::text[]) AND updated_at < @Before;
        DELETE FROM {Tables.ContactVersions} AS v
        WHERE v.location_id = @LocationId AND v.contact_id = ANY(@ContactIds::text[]) AND v.last_occurred_at < @Before
          AND NOT EXISTS (SELECT 1 FROM {Tables.ContactKeys} AS k WHERE k.location_id = v.location_id AND k.contact_id = v.contact_id);
        DELETE FROM {Tables.ContactTagVersions} AS t
        WHERE t.location_id = @LocationId AND t.contact_id = ANY(@ContactIds::text[])
          AND NOT EXISTS (SELECT 1 FROM {Tables.ContactKeys} AS k WHERE k.location_id = t.location_id AND k.contact_id = t.contact_id)
          AND NOT EXISTS (SELECT 1 FROM {Tables.ContactVersions} AS v WHERE v.location_id = t.location_id AND v.contact_id = t.contact_id)
        """;

    /// <summary>Takes the location's reconcile lease when it is free and the last run finished at or before <c>@DueBefore</c>.</summary>
    public const string ReconcileAcquire = $"""
        INSERT INTO {Tables.ReconcileRuns} AS r (location_id, lease_owner, lease_until, started_at)
        VALUES (@LocationId, @Owner, @Until, @Now)
        ON CONFLICT (location_id) DO UPDATE
        SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until, started_at = excluded.started_at
        WHERE (r.lease_until IS NULL OR r.lease_until < @Now)
          AND (r.finished_at IS NULL OR r.finished_at <= @DueBefore)
        """;

    public const string ReconcileRenew = $"""
        UPDATE {Tables.ReconcileRuns}
        SET lease_until = @Until
        WHERE location_id = @LocationId AND lease_owner = @Owner AND lease_until >= @Now
        """;

    /// <summary>Ends a run (the lease is released) with what it changed, or the error that ended it.</summary>
    public const string ReconcileFinish = $"""
        UPDATE {Tables.ReconcileRuns}
        SET lease_owner = NULL, lease_until = NULL, finished_at = @Now, contacts_seen = @ContactsSeen,
            keys_added = @KeysAdded, keys_removed = @KeysRemoved, contacts_removed = @ContactsRemoved, last_error = @Error
        WHERE location_id = @LocationId AND lease_owner = @Owner
        """;

    public const string ReconcileGet = $"""
        SELECT location_id AS LocationId, lease_owner AS LeaseOwner, lease_until AS LeaseUntil, started_at AS StartedAt,
               finished_at AS FinishedAt, contacts_seen AS ContactsSeen, keys_added AS KeysAdded, keys_removed AS KeysRemoved,
               contacts_removed AS ContactsRemoved, last_error AS LastError
        FROM {Tables.ReconcileRuns}
        WHERE location_id = @LocationId
        """;
}
