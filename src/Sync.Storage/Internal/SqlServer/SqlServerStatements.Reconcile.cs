namespace Sync.Storage.Internal.SqlServer;

/// <summary>Statements of the contact index rebuild (reconcile) and its per-location lease.</summary>
internal static partial class SqlServerStatements
{
    public const string ContactKeysOfLocation = $"""
        SELECT key_kind AS Kind, key_value AS Value, contact_id AS ContactId, updated_at AS UpdatedAt
        FROM {Tables.ContactKeys}
        WHERE location_id = @LocationId
        ORDER BY contact_id, key_kind, key_value;
        """;

    public const string ContactVersionsOfLocation = $"""
        SELECT contact_id AS ContactId, last_occurred_at AS LastOccurredAt
        FROM {Tables.ContactVersions}
        WHERE location_id = @LocationId
        ORDER BY contact_id;
        """;

    /// <summary>Deletes the given (kind, value, contact) rows (<c>@Keys</c>, JSON), unless written since <c>@Before</c>.</summary>
    public const string ContactKeysDeleteMany = $"""
        SET NOCOUNT OFF;
        DELETE k
        FROM {Tables.ContactKeys} AS k
        INNER JOIN OPENJSON(@Keys) WITH (kind nvarchar(16) '$.kind', value nvarchar(320) '$.value', contactId nvarchar(64) '$.contactId') AS q
            ON k.key_kind = q.kind AND k.key_value = q.value COLLATE Latin1_General_100_BIN2 AND k.contact_id = q.contactId
        WHERE k.location_id = @LocationId AND k.updated_at < @Before;
        """;

    /// <summary>
    /// Forgets contacts (<c>@ContactIds</c>, a JSON array): their keys written before <c>@Before</c>, then the freshness
    /// records of those that no key points at any more.
    /// </summary>
    public const string ContactsDeleteMany = $"""
        SET NOCOUNT OFF;
        DELETE FROM {Tables.ContactKeys}
        WHERE location_id = @LocationId AND updated_at < @Before
          AND contact_id IN (SELECT id FROM OPENJSON(@ContactIds) WITH (id nvarchar(64) '$'));
        DELETE v FROM {Tables.ContactVersions} AS v
        WHERE v.location_id = @LocationId AND v.last_occurred_at < @Before
          AND v.contact_id IN (SELECT id FROM OPENJSON(@ContactIds) WITH (id nvarchar(64) '$'))
          AND NOT EXISTS (SELECT 1 FROM {Tables.ContactKeys} AS k WHERE k.location_id = v.location_id AND k.contact_id = v.contact_id);
        DELETE t FROM {Tables.ContactTagVersions} AS t
        WHERE t.location_id = @LocationId
          AND t.contact_id IN (SELECT id FROM OPENJSON(@ContactIds) WITH (id nvarchar(64) '$'))
          AND NOT EXISTS (SELECT 1 FROM {Tables.ContactKeys} AS k WHERE k.location_id = t.location_id AND k.contact_id = t.contact_id)
          AND NOT EXISTS (SELECT 1 FROM {Tables.ContactVersions} AS v WHERE v.location_id = t.location_id AND v.contact_id = t.contact_id);
        """;

    /// <summary>
    /// Takes the location's reconcile lease when it is free and the last run finished at or before <c>@DueBefore</c>;
    /// returns 1 when taken.
    /// </summary>
    public const string ReconcileAcquire = $"""
        SET NOCOUNT ON;
        IF NOT EXISTS (SELECT 1 FROM {Tables.ReconcileRuns} WITH (UPDLOCK, HOLDLOCK) WHERE location_id = @LocationId)
            INSERT INTO {Tables.ReconcileRuns} (location_id) VALUES (@LocationId);
        UPDATE {Tables.ReconcileRuns} WITH (UPDLOCK, ROWLOCK)
        SET lease_owner = @Owner, lease_until = @Until, started_at = @Now
        WHERE location_id = @LocationId
          AND (lease_until IS NULL OR lease_until < @Now)
          AND (finished_at IS NULL OR finished_at <= @DueBefore);
        SELECT @@ROWCOUNT;
        """;

    public const string ReconcileRenew = $"""
        SET NOCOUNT OFF;
        UPDATE {Tables.ReconcileRuns}
        SET lease_until = @Until
        WHERE location_id = @LocationId AND lease_owner = @Owner AND lease_until >= @Now;
        """;

    /// <summary>Ends a run (the lease is released) with what it changed, or the error that ended it.</summary>
    public const string ReconcileFinish = $"""
        SET NOCOUNT OFF;
        UPDATE {Tables.ReconcileRuns}
        SET lease_owner = NULL, lease_until = NULL, finished_at = @Now, contacts_seen = @ContactsSeen,
            keys_added = @KeysAdded, keys_removed = @KeysRemoved, contacts_removed = @ContactsRemoved, last_error = @Error
        WHERE location_id = @LocationId AND lease_owner = @Owner;
        """;

    public const string ReconcileGet = $"""
        SELECT location_id AS LocationId, lease_owner AS LeaseOwner, lease_until AS LeaseUntil, started_at AS StartedAt,
               finished_at AS FinishedAt, contacts_seen AS ContactsSeen, keys_added AS KeysAdded, keys_removed AS KeysRemoved,
               contacts_removed AS ContactsRemoved, last_error AS LastError
        FROM {Tables.ReconcileRuns}
        WHERE location_id = @LocationId;
        """;
}
