namespace Sync.Storage.Internal.PostgreSql;

/// <summary>
/// Every PostgreSQL statement Sync runs, named by intent. All values are parameters; table names come from
/// <see cref="Tables"/>. Upserts are <c>INSERT … ON CONFLICT</c>; batch inputs arrive as arrays (<c>unnest</c>),
/// de-duplicated and sorted by key by the caller so concurrent batches lock rows in the same order.
/// </summary>
internal static partial class PostgreSqlStatements
{
    // ---------------------------------------------------------------- schema and migrations

    public const string EnsureSchema = $"CREATE SCHEMA IF NOT EXISTS {Tables.Schema}";

    /// <summary>Session-level advisory lock serialising migrators; <c>@Key</c> is a fixed bigint.</summary>
    public const string AcquireMigrationLock = "SELECT pg_advisory_lock(@Key)";

    /// <summary>
    /// Run on <c>postgres</c>: returns the statement that creates database <c>@Name</c> (quoted by the server) when it
    /// does not exist, else no row. CREATE DATABASE takes no parameters, so the server builds it.
    /// </summary>
    public const string CreateDatabaseStatementIfMissing = """
        SELECT format('CREATE DATABASE %I', @Name::text)
        WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = @Name)
        """;

    public const string ReleaseMigrationLock = "SELECT pg_advisory_unlock(@Key)";

    // ---------------------------------------------------------------- inbox

    public const string InboxInsertIfNew = $"""
        INSERT INTO {Tables.Inbox} (consumer, message_id, processed_at)
        VALUES (@Consumer, @MessageId, @ProcessedAt)
        ON CONFLICT (consumer, message_id) DO NOTHING
        """;

    public const string InboxDelete = $"""
        DELETE FROM {Tables.Inbox} WHERE consumer = @Consumer AND message_id = @MessageId
        """;

    public const string InboxExists = $"""
        SELECT EXISTS (SELECT 1 FROM {Tables.Inbox} WHERE consumer = @Consumer AND message_id = @MessageId)
        """;

    public const string InboxPurgeBatch = $"""
        DELETE FROM {Tables.Inbox}
        WHERE (consumer, message_id) IN (
            SELECT consumer, message_id FROM {Tables.Inbox}
            WHERE processed_at < @ProcessedBefore
            LIMIT @BatchSize)
        """;

    // ---------------------------------------------------------------- outbox

    public const string OutboxEnqueue = $"""
        INSERT INTO {Tables.Outbox} (message_id, message_type, destination, body, headers, created_at, available_at, attempts, location_id)
        VALUES (@MessageId, @MessageType, @Destination, @Body, @Headers, @CreatedAt, @AvailableAt, 0, @LocationId)
        """;

    /// <summary>
    /// Many rows in one statement (arrays of one element per row, in order), so a group commit is one round trip; the
    /// rows get ascending ids in the order given.
    /// </summary>
    public const string OutboxEnqueueMany = $"""
        INSERT INTO {Tables.Outbox} (message_id, message_type, destination, body, headers, created_at, available_at, attempts, location_id)
        SELECT r.message_id, r.message_type, r.destination, r.body, r.headers, @CreatedAt, r.available_at, 0, r.location_id
        FROM unnest(@MessageIds, @MessageTypes, @Destinations, @Bodies, @Headers, @AvailableAts, @LocationIds)
             WITH ORDINALITY AS r(message_id, message_type, destination, body, headers, available_at, location_id, ordinal)
        ORDER BY r.ordinal
        """;

    /// <summary>
    /// Run first in a claim's transaction, for that transaction alone: the planner walks <c>ix_outbox_due</c> in order
    /// (no sort, no bitmap scan), and the server ends the claim's session if it stays idle in its transaction longer
    /// than <c>@IdleTimeout</c> (milliseconds, as text): a relay that hangs gives its rows back. The planner options
    /// matter because the plan otherwise hangs on the outbox's statistics, which lag a backlog that has just arrived:
    /// with none yet (a new database, autovacuum not yet run) the planner expected a handful of due rows and sorted
    /// every unsent row for each claim, so a claim cost O(backlog) and a large drain was quadratic (30,000 spilled rows:
    /// about 100 ms a claim). The ordered walk reads only the rows it returns, whatever the statistics say.
    /// </summary>
    public const string OutboxClaimSettings = """
        SELECT set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true),
               set_config('idle_in_transaction_session_timeout', @IdleTimeout, true)
        """;

    /// <summary>
    /// Locks up to <c>@BatchSize</c> due rows, oldest first, for the claim's transaction; rows another claim holds are
    /// skipped (<c>SKIP LOCKED</c>). Rows leased by an earlier version's relay (<c>locked_until</c>) wait for their lease.
    /// Nothing is written: the row lock is the claim.
    /// </summary>
    public const string OutboxClaim = $"""
        SELECT id AS Id, message_id AS MessageId, message_type AS MessageType, destination AS Destination,
               body AS Body, headers AS Headers, attempts AS Attempts
        FROM {Tables.Outbox}
        WHERE sent_at IS NULL
          AND available_at <= @Now
          AND (locked_until IS NULL OR locked_until <= @Now)
        ORDER BY available_at, id
        LIMIT @BatchSize
        FOR UPDATE SKIP LOCKED
        """;

    /// <summary>
    /// Marks a claim's published rows sent, in the claim's transaction. The rows are found by primary key alone: the
    /// claim holds their locks, so none can have been sent meanwhile, and a <c>sent_at IS NULL</c> here would let the
    /// planner read them through <c>ix_outbox_due</c>, whose second column is the id, scanning every unsent row's entry
    /// for each batch (with no statistics yet: 35 ms for 100 of 20,000 rows, against 1 ms by key).
    /// </summary>
    public const string OutboxMarkSent = $"""
        UPDATE {Tables.Outbox}
        SET sent_at = @Now
        WHERE id = ANY(@Ids)
        """;

    /// <summary>Gives a claimed row back for a later attempt, in the claim's transaction; by key alone, as <see cref="OutboxMarkSent"/>.</summary>
    public const string OutboxRelease = $"""
        UPDATE {Tables.Outbox}
        SET locked_by = NULL, locked_until = NULL, available_at = @AvailableAt, attempts = attempts + 1, last_error = @Error
        WHERE id = @Id
        """;

    public const string OutboxPurgeSentBatch = $"""
        DELETE FROM {Tables.Outbox}
        WHERE id IN (
            SELECT id FROM {Tables.Outbox}
            WHERE sent_at IS NOT NULL AND sent_at < @SentBefore
            LIMIT @BatchSize)
        """;

    public const string OutboxBacklog = $"""
        SELECT COUNT(*) AS Pending,
               COUNT(*) FILTER (WHERE available_at <= @Now) AS Due,
               MIN(available_at) FILTER (WHERE available_at <= @Now) AS OldestDueAt
        FROM {Tables.Outbox}
        WHERE sent_at IS NULL
        """;

    // ---------------------------------------------------------------- installations

    private const string InstallationColumns = """
        location_id AS LocationId, company_id AS CompanyId, auth_mode AS AuthMode, status AS Status,
        access_token AS AccessToken, refresh_token AS RefreshToken, access_token_expires_at AS AccessTokenExpiresAt,
        updated_at AS UpdatedAt, row_version AS RowVersion
        """;

    public const string InstallationGet = $"SELECT {InstallationColumns} FROM {Tables.Installations} WHERE location_id = @LocationId";

    public const string InstallationList = $"SELECT {InstallationColumns} FROM {Tables.Installations} ORDER BY location_id";

    public const string InstallationListIdsByStatus = $"""
        SELECT location_id FROM {Tables.Installations} WHERE status = @Status ORDER BY location_id
        """;

    /// <summary>Creates or replaces an installation; its refresh lease is left as it is.</summary>
    public const string InstallationUpsert = $"""
        INSERT INTO {Tables.Installations} AS i
            (location_id, company_id, auth_mode, status, access_token, refresh_token, access_token_expires_at,
             installed_at, updated_at, row_version)
        VALUES (@LocationId, @CompanyId, @AuthMode, @Status, @AccessToken, @RefreshToken, @AccessTokenExpiresAt,
                @UpdatedAt, @UpdatedAt, 1)
        ON CONFLICT (location_id) DO UPDATE
        SET company_id = excluded.company_id, auth_mode = excluded.auth_mode, status = excluded.status,
            access_token = excluded.access_token, refresh_token = excluded.refresh_token,
            access_token_expires_at = excluded.access_token_expires_at, updated_at = excluded.updated_at,
            row_version = i.row_version + 1
        """;

    public const string InstallationListIds = $"SELECT location_id FROM {Tables.Installations} ORDER BY location_id";

    /// <summary>Replaces an installation only if its row is still at <c>@RowVersion</c>; one row affected when it was.</summary>
    public const string InstallationUpdateIfVersion = $"""
        UPDATE {Tables.Installations}
        SET company_id = @CompanyId, auth_mode = @AuthMode, status = @Status, access_token = @AccessToken,
            refresh_token = @RefreshToken, access_token_expires_at = @AccessTokenExpiresAt, updated_at = @UpdatedAt,
            row_version = row_version + 1
        WHERE location_id = @LocationId AND row_version = @RowVersion
        """;

    public const string InstallationAcquireLease = $"""
        UPDATE {Tables.Installations}
        SET refresh_lease_owner = @Owner, refresh_lease_until = @LeaseUntil
        WHERE location_id = @LocationId
          AND (refresh_lease_owner IS NULL OR refresh_lease_until IS NULL OR refresh_lease_until <= @Now OR refresh_lease_owner = @Owner)
        """;

    public const string InstallationReleaseLease = $"""
        UPDATE {Tables.Installations}
        SET refresh_lease_owner = NULL, refresh_lease_until = NULL
        WHERE location_id = @LocationId AND refresh_lease_owner = @Owner
        """;

    public const string InstallationDelete = $"DELETE FROM {Tables.Installations} WHERE location_id = @LocationId";

    public const string InstallationListTokens = $"""
        SELECT location_id AS LocationId, access_token AS AccessToken, refresh_token AS RefreshToken, row_version AS RowVersion
        FROM {Tables.Installations}
        ORDER BY location_id
        """;

    /// <summary>Replaces the tokens only if nobody wrote the row since it was read (optimistic, by row version).</summary>
    public const string InstallationReplaceTokens = $"""
        UPDATE {Tables.Installations}
        SET access_token = @AccessToken, refresh_token = @RefreshToken, row_version = row_version + 1
        WHERE location_id = @LocationId AND row_version = @RowVersion
        """;

    // ---------------------------------------------------------------- contact index

    /// <summary>Upserts a batch of keys given as parallel arrays, already de-duplicated and sorted by key.</summary>
    public const string ContactKeysUpsert = $"""
        INSERT INTO {Tables.ContactKeys} AS k (location_id, key_kind, key_value, contact_id, updated_at)
        SELECT @LocationId, b.kind, b.value, b.contact_id, @UpdatedAt
        FROM unnest(@Kinds::text[], @Values::text[], @ContactIds::text[]) WITH ORDINALITY AS b(kind, value, contact_id, ordinal)
        ORDER BY b.ordinal
        ON CONFLICT (location_id, key_kind, key_value) DO UPDATE
        SET contact_id = excluded.contact_id, updated_at = excluded.updated_at
        """;

    /// <summary>As <see cref="ContactKeysUpsert"/> for keys of several locations (<c>@LocationIds</c> beside the keys).</summary>
    public const string ContactKeysOfLocationsUpsert = $"""
        INSERT INTO {Tables.ContactKeys} AS k (location_id, key_kind, key_value, contact_id, updated_at)
        SELECT b.location_id, b.kind, b.value, b.contact_id, @UpdatedAt
        FROM unnest(@LocationIds::text[], @Kinds::text[], @Values::text[], @ContactIds::text[]) WITH ORDINALITY AS b(location_id, kind, value, contact_id, ordinal)
        ORDER BY b.ordinal
        ON CONFLICT (location_id, key_kind, key_value) DO UPDATE
        SET contact_id = excluded.contact_id, updated_at = excluded.updated_at
        """;

    public const string ContactKeysFindOne = $"""
        SELECT contact_id FROM {Tables.ContactKeys}
        WHERE location_id = @LocationId AND key_kind = @Kind AND key_value = @Value
        """;

    public const string ContactKeysFindMany = $"""
        SELECT k.key_kind AS Kind, k.key_value AS Value, k.contact_id AS ContactId
        FROM {Tables.ContactKeys} AS k
        JOIN unnest(@Kinds::text[], @Values::text[]) AS q(kind, value) ON k.key_kind = q.kind AND k.key_value = q.value
        WHERE k.location_id = @LocationId
        ORDER BY k.key_kind, k.key_value
        """;

    public const string ContactKeysOfContact = $"""
        SELECT key_kind AS Kind, key_value AS Value, contact_id AS ContactId
        FROM {Tables.ContactKeys}
        WHERE location_id = @LocationId AND contact_id = @ContactId
        ORDER BY key_kind, key_value
        """;

    /// <summary>One row affected when the event is not stale (inserted, or stored time at or before it).</summary>
    public const string ContactAdvance = $"""
        INSERT INTO {Tables.ContactVersions} AS v (location_id, contact_id, last_occurred_at)
        VALUES (@LocationId, @ContactId, @OccurredAt)
        ON CONFLICT (location_id, contact_id) DO UPDATE
        SET last_occurred_at = excluded.last_occurred_at
        WHERE v.last_occurred_at <= excluded.last_occurred_at
        """;

    /// <summary>
    /// Returns the tags whose change is not stale; input arrays de-duplicated and sorted by tag. A changed row keeps
    /// what it said before in its prior columns (NULL when inserted), for <see cref="ContactTagsRevert"/>.
    /// </summary>
    public const string ContactTagsAdvance = $"""
        INSERT INTO {Tables.ContactTagVersions} AS v (location_id, contact_id, tag, last_operation, last_occurred_at, prior_operation, prior_occurred_at)
        SELECT @LocationId, @ContactId, b.tag, b.operation, @OccurredAt, NULL, NULL
        FROM unnest(@Tags::text[], @Operations::text[]) WITH ORDINALITY AS b(tag, operation, ordinal)
        ORDER BY b.ordinal
        ON CONFLICT (location_id, contact_id, tag) DO UPDATE
        SET prior_operation = v.last_operation, prior_occurred_at = v.last_occurred_at,
            last_operation = excluded.last_operation, last_occurred_at = excluded.last_occurred_at
        WHERE v.last_occurred_at <= excluded.last_occurred_at
        RETURNING v.tag AS Tag, v.last_operation AS Operation
        """;

    /// <summary>
    /// The inbox marks of many messages (<c>@MessageIds</c>, sorted) and the guard changes of those new to the inbox
    /// (one row per change: <c>@ChangeMessageIds</c>, <c>@LocationIds</c>, <c>@ContactIds</c>, <c>@Tags</c>,
    /// <c>@Operations</c>, <c>@OccurredAts</c>, sorted by location, contact and tag), as <see cref="ContactTagsAdvance"/>
    /// does for one. One row per message marked (<c>MessageId</c> set), then one per change found fresh.
    /// </summary>
    public const string InboxMarkThenContactTagsAdvanceMany = $"""
        WITH marked AS (
            INSERT INTO {Tables.Inbox} (consumer, message_id, processed_at)
            SELECT @Consumer, m.message_id, @ProcessedAt
            FROM unnest(@MessageIds::uuid[]) WITH ORDINALITY AS m(message_id, ordinal)
            ORDER BY m.ordinal
            ON CONFLICT (consumer, message_id) DO NOTHING
            RETURNING message_id
        ), advanced AS (
            INSERT INTO {Tables.ContactTagVersions} AS v (location_id, contact_id, tag, last_operation, last_occurred_at, prior_operation, prior_occurred_at)
            SELECT c.location_id, c.contact_id, c.tag, c.operation, c.occurred_at, NULL, NULL
            FROM unnest(@ChangeMessageIds::uuid[], @LocationIds::text[], @ContactIds::text[], @Tags::text[], @Operations::text[], @OccurredAts::timestamptz[])
                WITH ORDINALITY AS c(message_id, location_id, contact_id, tag, operation, occurred_at, ordinal)
            WHERE c.message_id IN (SELECT message_id FROM marked)
            ORDER BY c.ordinal
            ON CONFLICT (location_id, contact_id, tag) DO UPDATE
            SET prior_operation = v.last_operation, prior_occurred_at = v.last_occurred_at,
                last_operation = excluded.last_operation, last_occurred_at = excluded.last_occurred_at
            WHERE v.last_occurred_at <= excluded.last_occurred_at
            RETURNING v.location_id, v.contact_id, v.tag, v.last_operation
        )
        SELECT message_id AS MessageId, NULL::text AS LocationId, NULL::text AS ContactId, NULL::text AS Tag, NULL::text AS Operation FROM marked
        UNION ALL
        SELECT NULL::uuid, location_id, contact_id, tag, last_operation FROM advanced
        """;

    /// <summary>
    /// Takes back the last change of each tag in <c>@Tags</c> of one contact, in the transaction that made it (which
    /// still holds the rows): a row it inserted goes, a row it changed says again what it said before.
    /// </summary>
    public const string ContactTagsRevert = $"""
        DELETE FROM {Tables.ContactTagVersions}
        WHERE location_id = @LocationId AND contact_id = @ContactId AND tag = ANY(@Tags::text[]) AND prior_occurred_at IS NULL;
        UPDATE {Tables.ContactTagVersions}
        SET last_operation = prior_operation, last_occurred_at = prior_occurred_at, prior_operation = NULL, prior_occurred_at = NULL
        WHERE location_id = @LocationId AND contact_id = @ContactId AND tag = ANY(@Tags::text[]) AND prior_occurred_at IS NOT NULL
        """;

    /// <summary>The record of one tag (<c>@Tag</c>) of each contact in <c>@ContactIds</c> that has one.</summary>
    public const string ContactTagVersionsOfContacts = $"""
        SELECT contact_id AS ContactId, tag AS Tag, last_operation AS Operation, last_occurred_at AS LastOccurredAt
        FROM {Tables.ContactTagVersions}
        WHERE location_id = @LocationId AND tag = @Tag AND contact_id = ANY(@ContactIds::text[])
        """;

    public const string ContactDelete = $"""
        DELETE FROM {Tables.ContactKeys} WHERE location_id = @LocationId AND contact_id = @ContactId;
        DELETE FROM {Tables.ContactVersions} WHERE location_id = @LocationId AND contact_id = @ContactId;
        DELETE FROM {Tables.ContactTagVersions} WHERE location_id = @LocationId AND contact_id = @ContactId
        """;

    public const string ContactIndexDeleteLocation = $"""
        DELETE FROM {Tables.ContactKeys} WHERE location_id = @LocationId;
        DELETE FROM {Tables.ContactVersions} WHERE location_id = @LocationId;
        DELETE FROM {Tables.ContactTagVersions} WHERE location_id = @LocationId
        """;

    // ---------------------------------------------------------------- dead letters

    private const string DeadLetterColumns = """
        id AS Id, source_queue AS SourceQueue, message_id AS MessageId, message_type AS MessageType,
        location_id AS LocationId, body AS Body, headers AS Headers, fault_type AS FaultType,
        fault_message AS FaultMessage, fault_stack_trace AS FaultStackTrace, classification AS Classification,
        fingerprint AS Fingerprint, first_failed_at AS FirstFailedAt, last_failed_at AS LastFailedAt,
        failure_count AS FailureCount, status AS Status, replay_count AS ReplayCount, status_changed_at AS StatusChangedAt,
        http_status AS HttpStatus, api_answer AS ApiAnswer, attempts AS Attempts, consumer AS Consumer, replay_of AS ReplayOf
        """;

    private const string DeadLetterFilter = """
        (@Status IS NULL OR status = @Status)
          AND (@SourceQueue IS NULL OR source_queue = @SourceQueue)
          AND (@MessageType IS NULL OR message_type = @MessageType)
          AND (@LocationId IS NULL OR location_id = @LocationId)
          AND (@Fingerprint IS NULL OR fingerprint = @Fingerprint)
          AND (@LastFailedFrom IS NULL OR last_failed_at >= @LastFailedFrom)
          AND (@LastFailedBefore IS NULL OR last_failed_at < @LastFailedBefore)
          AND (@Classification IS NULL OR classification = @Classification)
          AND (@TextPattern IS NULL OR fault_message ILIKE @TextPattern ESCAPE '\' OR api_answer ILIKE @TextPattern ESCAPE '\'
               OR body ILIKE @TextPattern ESCAPE '\')
        """;

    /// <summary>
    /// Adds a failure or bumps the existing row of the same occurrence; returns the row's id (equal to <c>@Id</c> when
    /// it was added). The same delivery seen again (same failure time: the collector died before acknowledging) changes
    /// nothing but the stored copy.
    /// </summary>
    public const string DeadLetterAddOrUpdate = $"""
        INSERT INTO {Tables.DeadLetters} AS d
            (id, source_queue, message_id, message_type, location_id, body, headers, fault_type, fault_message,
             fault_stack_trace, classification, fingerprint, first_failed_at, last_failed_at, failure_count, status,
             replay_count, status_changed_at, http_status, api_answer, attempts, consumer, replay_of, occurrence)
        VALUES (@Id, @SourceQueue, @MessageId, @MessageType, @LocationId, @Body, @Headers, @FaultType, @FaultMessage,
                @FaultStackTrace, @Classification, @Fingerprint, @FailedAt, @FailedAt, 1, @NewStatus, 0, @FailedAt,
                @HttpStatus, @ApiAnswer, @Attempts, @Consumer, @ReplayOf, @Occurrence)
        ON CONFLICT (source_queue, message_id, occurrence) DO UPDATE
        SET message_type = COALESCE(excluded.message_type, d.message_type),
            location_id = COALESCE(excluded.location_id, d.location_id),
            body = excluded.body, headers = excluded.headers, fault_type = excluded.fault_type,
            fault_message = excluded.fault_message, fault_stack_trace = excluded.fault_stack_trace,
            classification = excluded.classification, fingerprint = excluded.fingerprint,
            http_status = excluded.http_status, api_answer = excluded.api_answer, attempts = excluded.attempts,
            consumer = COALESCE(excluded.consumer, d.consumer),
            first_failed_at = LEAST(d.first_failed_at, excluded.first_failed_at),
            last_failed_at = GREATEST(d.last_failed_at, excluded.last_failed_at),
            failure_count = d.failure_count + CASE WHEN d.last_failed_at = excluded.last_failed_at THEN 0 ELSE 1 END,
            status_changed_at = CASE WHEN d.status = excluded.status OR d.last_failed_at = excluded.last_failed_at
                                     THEN d.status_changed_at ELSE excluded.status_changed_at END,
            status = CASE WHEN d.last_failed_at = excluded.last_failed_at THEN d.status ELSE excluded.status END
        RETURNING d.id
        """;

    public const string DeadLetterGet = $"SELECT {DeadLetterColumns} FROM {Tables.DeadLetters} WHERE id = @Id";

    public const string DeadLetterQuery = $"""
        SELECT {DeadLetterColumns} FROM {Tables.DeadLetters}
        WHERE {DeadLetterFilter}
        ORDER BY last_failed_at DESC, id
        LIMIT @Take OFFSET @Skip
        """;

    public const string DeadLetterCount = $"SELECT count(*) FROM {Tables.DeadLetters} WHERE {DeadLetterFilter}";

    public const string DeadLetterGroupByFingerprint = $"""
        SELECT fingerprint AS Fingerprint, count(*) AS Count, max(message_type) AS MessageType, max(fault_type) AS FaultType,
               max(fault_message) AS SampleFaultMessage, min(first_failed_at) AS FirstFailedAt, max(last_failed_at) AS LastFailedAt,
               max(classification) AS Classification, count(DISTINCT location_id) AS LocationCount,
               min(location_id) AS SampleLocationId, min(id::text) AS ExampleId
        FROM {Tables.DeadLetters}
        WHERE {DeadLetterFilter}
        GROUP BY fingerprint
        ORDER BY count(*) DESC, fingerprint
        LIMIT @Take OFFSET @Skip
        """;

    /// <summary>Sets the status of one dead letter (counting a replay) and audits it; returns 1, or 0 when none.</summary>
    public const string DeadLetterChangeStatus = $"""
        WITH changed AS (
            UPDATE {Tables.DeadLetters}
            SET status = @Status, replay_count = replay_count + @ReplayIncrement, status_changed_at = @At
            WHERE id = @Id
            RETURNING id),
        audited AS (
            INSERT INTO {Tables.DeadLetterAudit} (dead_letter_id, action, actor, note, occurred_at)
            SELECT id, @Action, @Actor, @Note, @At FROM changed
            RETURNING 1)
        SELECT count(*)::int FROM audited
        """;

    /// <summary>Moves every dead letter of a location in <c>@FromStatus</c> to <c>@Status</c>, auditing each; returns how many.</summary>
    public const string DeadLetterChangeStatusOfLocation = $"""
        WITH changed AS (
            UPDATE {Tables.DeadLetters}
            SET status = @Status, status_changed_at = @At
            WHERE location_id = @LocationId AND status = @FromStatus
            RETURNING id),
        audited AS (
            INSERT INTO {Tables.DeadLetterAudit} (dead_letter_id, action, actor, note, occurred_at)
            SELECT id, @Action, @Actor, @Note, @At FROM changed
            RETURNING 1)
        SELECT count(*)::int FROM audited
        """;

    public const string DeadLetterAuditTrail = $"""
        SELECT dead_letter_id AS DeadLetterId, action AS Action, actor AS Actor, note AS Note, occurred_at AS At
        FROM {Tables.DeadLetterAudit}
        WHERE dead_letter_id = @Id
        ORDER BY id
        """;

    /// <summary>Deletes dead letters whose last failure is before <c>@Before</c> (new ones only when <c>@IncludeNew</c>); returns how many.</summary>
    public const string DeadLetterPurge = $"""
        WITH purged AS (
            DELETE FROM {Tables.DeadLetters}
            WHERE last_failed_at < @Before AND (@IncludeNew OR status <> @NewStatus)
            RETURNING 1)
        SELECT count(*)::int FROM purged
        """;

    // ---------------------------------------------------------------- circuit states

    public const string CircuitStateUpsert = $"""
        INSERT INTO {Tables.CircuitStates} AS c (circuit, owner, state, reason, changed_at)
        VALUES (@Circuit, @Owner, @State, @Reason, @ChangedAt)
        ON CONFLICT (circuit, owner) DO UPDATE
        SET state = excluded.state, reason = excluded.reason, changed_at = excluded.changed_at
        """;

    public const string CircuitStateList = $"""
        SELECT circuit AS Circuit, owner AS Owner, state AS State, reason AS Reason, changed_at AS ChangedAt
        FROM {Tables.CircuitStates}
        ORDER BY circuit, owner
        """;

    /// <summary>Unsent outbox rows: how many, and when the oldest was created.</summary>
    public const string OutboxPendingSummary = $"""
        SELECT count(*) AS Pending, min(created_at) AS OldestCreatedAt FROM {Tables.Outbox} WHERE sent_at IS NULL
        """;

    // ---------------------------------------------------------------- rate limits
    //
    // Every rate-limit statement reads "now" from the database, never from a parameter, so processes whose clocks differ
    // share one clock. clock_timestamp(), not now(): now() is the start of the transaction, taken before the statement
    // waits for the row lock another process's take or reservation holds; after such a wait it lies in the past, and a
    // window or slot placed there would let the next caller in early. clock_timestamp() in a SET or WHERE of
    // ON CONFLICT DO UPDATE / UPDATE is read when the locked row is written. (Several reads in one statement differ by
    // microseconds, which no decision here depends on.)

    /// <summary>
    /// Takes permits atomically: starts a new window when the current one ended (it started at least <c>@WindowMs</c> ago
    /// by the database's clock), and takes only if not blocked and the window stays within <c>@Limit</c>. One row
    /// affected when granted, none when refused.
    /// </summary>
    public const string RateLimitTryTake = $"""
        INSERT INTO {Tables.RateLimits} AS r (app, location_id, window_started_at, permits_taken, blocked_until)
        VALUES (@App, @LocationId, clock_timestamp(), @Permits, NULL)
        ON CONFLICT (app, location_id) DO UPDATE
        SET window_started_at = CASE WHEN {WindowEnded} THEN clock_timestamp() ELSE r.window_started_at END,
            permits_taken = CASE WHEN {WindowEnded} THEN 0 ELSE r.permits_taken END + @Permits
        WHERE (r.blocked_until IS NULL OR r.blocked_until <= clock_timestamp())
          AND CASE WHEN {WindowEnded} THEN 0 ELSE r.permits_taken END + @Permits <= @Limit
        """;

    /// <summary>The state a refused take waits on, with the database's now the wait is measured from.</summary>
    public const string RateLimitGet = $"""
        SELECT window_started_at AS WindowStartedAt, permits_taken AS PermitsTaken, blocked_until AS BlockedUntil,
               clock_timestamp() AS DbNow
        FROM {Tables.RateLimits}
        WHERE app = @App AND location_id = @LocationId
        """;

    /// <summary>Extends the block of a pair to <c>@DurationMs</c> past the database's now, creating the row when needed.</summary>
    public const string RateLimitBlock = $"""
        INSERT INTO {Tables.RateLimits} AS r (app, location_id, window_started_at, permits_taken, blocked_until)
        VALUES (@App, @LocationId, clock_timestamp(), 0, clock_timestamp() + @DurationMs * interval '1 millisecond')
        ON CONFLICT (app, location_id) DO UPDATE
        SET blocked_until = GREATEST(r.blocked_until, clock_timestamp() + @DurationMs * interval '1 millisecond')
        """;

    private const string WindowEnded = "r.window_started_at <= clock_timestamp() - @WindowMs * interval '1 millisecond'";

    /// <summary>
    /// The start of the daily window the database's now falls in: windows of <c>@DailyWindowMs</c> aligned on the Unix
    /// epoch.
    /// </summary>
    private const string DailyWindowStartNow =
        "to_timestamp(floor(extract(epoch FROM clock_timestamp()) * 1000 / @DailyWindowMs) * @DailyWindowMs / 1000)";

    private const string DailyWindowEndNow = $"({DailyWindowStartNow} + @DailyWindowMs * interval '1 millisecond')";
}
