namespace Sync.Storage.Internal.SqlServer;

/// <summary>
/// Every SQL Server statement Sync runs, named by intent. All values are parameters; table names come from
/// <see cref="Tables"/>; id lists travel as one JSON array parameter read with <c>OPENJSON</c>. Upserts never use a
/// bare <c>MERGE</c>: they are <c>UPDATE … WITH (UPDLOCK, SERIALIZABLE)</c> then <c>INSERT</c> when nothing was
/// updated, run inside a transaction so the key-range lock covers both. A test parses every constant here with the
/// T-SQL parser. Statements whose affected-row count the stores read start with <c>SET NOCOUNT OFF</c>, so a server
/// configured to default to NOCOUNT cannot turn "one row inserted" into "no rows".
/// </summary>
internal static partial class SqlServerStatements
{
    // ---------------------------------------------------------------- schema and migrations

    public const string EnsureSchema = $"IF SCHEMA_ID(N'{Tables.Schema}') IS NULL EXEC (N'CREATE SCHEMA {Tables.Schema}');";

    /// <summary>Session-owned application lock serialising migrators; returns sp_getapplock's result (&gt;= 0 granted).</summary>
    public const string AcquireMigrationLock = """
        DECLARE @result int;
        EXEC @result = sp_getapplock @Resource = @Resource, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = @TimeoutMs;
        SELECT @result;
        """;

    /// <summary>Run on <c>master</c>: creates database <c>@Name</c> (quoted by QUOTENAME) unless it exists; returns 1 when created.</summary>
    public const string CreateDatabaseIfMissing = """
        IF DB_ID(@Name) IS NULL
        BEGIN
            DECLARE @create nvarchar(max) = N'CREATE DATABASE ' + QUOTENAME(@Name);
            EXEC (@create);
            SELECT 1;
        END
        ELSE
            SELECT 0;
        """;

    public const string ReleaseMigrationLock = "EXEC sp_releaseapplock @Resource = @Resource, @LockOwner = 'Session';";

    // ---------------------------------------------------------------- inbox

    /// <summary>Inserts unless present; the range lock makes a concurrent insert of the same key wait, then see it.</summary>
    public const string InboxInsertIfNew = $"""
        SET NOCOUNT OFF;
        INSERT INTO {Tables.Inbox} (consumer, message_id, processed_at)
        SELECT @Consumer, @MessageId, @ProcessedAt
        WHERE NOT EXISTS (
            SELECT 1 FROM {Tables.Inbox} WITH (UPDLOCK, HOLDLOCK)
            WHERE consumer = @Consumer AND message_id = @MessageId);
        """;

    public const string InboxDelete = $"""
        DELETE FROM {Tables.Inbox} WHERE consumer = @Consumer AND message_id = @MessageId
        """;

    public const string InboxExists = $"""
        SELECT CASE WHEN EXISTS (
            SELECT 1 FROM {Tables.Inbox} WHERE consumer = @Consumer AND message_id = @MessageId)
            THEN CAST(1 AS bit) ELSE CAST(0 AS bit) END;
        """;

    public const string InboxPurgeBatch = $"""
        SET NOCOUNT OFF;
        DELETE TOP (@BatchSize) FROM {Tables.Inbox} WHERE processed_at < @ProcessedBefore;
        """;

    // ---------------------------------------------------------------- outbox

    public const string OutboxEnqueue = $"""
        INSERT INTO {Tables.Outbox} (message_id, message_type, destination, body, headers, created_at, available_at, attempts, location_id)
        VALUES (@MessageId, @MessageType, @Destination, @Body, @Headers, @CreatedAt, @AvailableAt, 0, @LocationId);
        """;

    /// <summary>
    /// Many rows in one statement (a JSON array of rows, in order), so a group commit is one round trip; identity
    /// values follow the ORDER BY, so the rows get ascending ids in the order given.
    /// </summary>
    public const string OutboxEnqueueMany = $"""
        INSERT INTO {Tables.Outbox} (message_id, message_type, destination, body, headers, created_at, available_at, attempts, location_id)
        SELECT r.MessageId, r.MessageType, r.Destination, r.Body, r.Headers, @CreatedAt, r.AvailableAt, 0, r.LocationId
        FROM OPENJSON(@Rows) WITH (
            Ordinal int '$.Ordinal',
            MessageId uniqueidentifier '$.MessageId',
            MessageType nvarchar(400) '$.MessageType',
            Destination nvarchar(400) '$.Destination',
            Body nvarchar(max) '$.Body',
            Headers nvarchar(max) '$.Headers',
            AvailableAt datetimeoffset(7) '$.AvailableAt',
            LocationId nvarchar(64) '$.LocationId') AS r
        ORDER BY r.Ordinal;
        """;

    /// <summary>
    /// Locks up to <c>@BatchSize</c> due rows, oldest first, for the claim's transaction (update locks, held until it
    /// ends); rows another claim holds are skipped (<c>READPAST</c>). Rows leased by an earlier version's relay
    /// (<c>locked_until</c>) wait for their lease. Nothing is written: the row lock is the claim.
    /// </summary>
    public const string OutboxClaim = $"""
        SELECT TOP (@BatchSize) id AS Id, message_id AS MessageId, message_type AS MessageType, destination AS Destination,
               body AS Body, headers AS Headers, attempts AS Attempts
        FROM {Tables.Outbox} WITH (UPDLOCK, READPAST, ROWLOCK)
        WHERE sent_at IS NULL
          AND available_at <= @Now
          AND (locked_until IS NULL OR locked_until <= @Now)
        ORDER BY available_at, id;
        """;

    /// <summary>
    /// Marks a claim's published rows sent, in the claim's transaction; <c>@Ids</c> is a JSON array of row ids. By key
    /// alone: the claim holds the rows' locks, and a <c>sent_at IS NULL</c> here would make the filtered
    /// <c>ix_outbox_due</c> (whose second column is the id) a candidate to scan whole for each batch.
    /// </summary>
    public const string OutboxMarkSent = $"""
        UPDATE {Tables.Outbox}
        SET sent_at = @Now
        WHERE id IN (SELECT CAST([value] AS bigint) FROM OPENJSON(@Ids));
        """;

    /// <summary>Gives a claimed row back for a later attempt, in the claim's transaction; by key alone, as <see cref="OutboxMarkSent"/>.</summary>
    public const string OutboxRelease = $"""
        UPDATE {Tables.Outbox}
        SET locked_by = NULL, locked_until = NULL, available_at = @AvailableAt, attempts = attempts + 1, last_error = @Error
        WHERE id = @Id;
        """;

    public const string OutboxPurgeSentBatch = $"""
        SET NOCOUNT OFF;
        DELETE TOP (@BatchSize) FROM {Tables.Outbox} WHERE sent_at IS NOT NULL AND sent_at < @SentBefore;
        """;

    public const string OutboxBacklog = $"""
        SELECT COUNT_BIG(*) AS Pending,
               COUNT_BIG(CASE WHEN available_at <= @Now THEN 1 END) AS Due,
               MIN(CASE WHEN available_at <= @Now THEN available_at END) AS OldestDueAt
        FROM {Tables.Outbox}
        WHERE sent_at IS NULL;
        """;

    // ---------------------------------------------------------------- installations

    private const string InstallationColumns = """
        location_id AS LocationId, company_id AS CompanyId, auth_mode AS AuthMode, status AS Status,
        access_token AS AccessToken, refresh_token AS RefreshToken, access_token_expires_at AS AccessTokenExpiresAt,
        updated_at AS UpdatedAt, row_version AS RowVersion
        """;

    public const string InstallationGet = $"SELECT {InstallationColumns} FROM {Tables.Installations} WHERE location_id = @LocationId;";

    public const string InstallationList = $"SELECT {InstallationColumns} FROM {Tables.Installations} ORDER BY location_id;";

    public const string InstallationListIdsByStatus = $"""
        SELECT location_id FROM {Tables.Installations} WHERE status = @Status ORDER BY location_id;
        """;

    /// <summary>Creates or replaces an installation (run in a transaction); its refresh lease is left as it is.</summary>
    public const string InstallationUpsert = $"""
        UPDATE {Tables.Installations} WITH (UPDLOCK, SERIALIZABLE)
        SET company_id = @CompanyId, auth_mode = @AuthMode, status = @Status, access_token = @AccessToken,
            refresh_token = @RefreshToken, access_token_expires_at = @AccessTokenExpiresAt, updated_at = @UpdatedAt,
            row_version = row_version + 1
        WHERE location_id = @LocationId;
        IF @@ROWCOUNT = 0
            INSERT INTO {Tables.Installations}
                (location_id, company_id, auth_mode, status, access_token, refresh_token, access_token_expires_at,
                 installed_at, updated_at, row_version)
            VALUES (@LocationId, @CompanyId, @AuthMode, @Status, @AccessToken, @RefreshToken, @AccessTokenExpiresAt,
                    @UpdatedAt, @UpdatedAt, 1);
        """;

    public const string InstallationListIds = $"SELECT location_id FROM {Tables.Installations} ORDER BY location_id;";

    /// <summary>Replaces an installation only if its row is still at <c>@RowVersion</c>; one row affected when it was.</summary>
    public const string InstallationUpdateIfVersion = $"""
        SET NOCOUNT OFF;
        UPDATE {Tables.Installations}
        SET company_id = @CompanyId, auth_mode = @AuthMode, status = @Status, access_token = @AccessToken,
            refresh_token = @RefreshToken, access_token_expires_at = @AccessTokenExpiresAt, updated_at = @UpdatedAt,
            row_version = row_version + 1
        WHERE location_id = @LocationId AND row_version = @RowVersion;
        """;

    public const string InstallationAcquireLease = $"""
        SET NOCOUNT OFF;
        UPDATE {Tables.Installations}
        SET refresh_lease_owner = @Owner, refresh_lease_until = @LeaseUntil
        WHERE location_id = @LocationId
          AND (refresh_lease_owner IS NULL OR refresh_lease_until IS NULL OR refresh_lease_until <= @Now OR refresh_lease_owner = @Owner);
        """;

    public const string InstallationReleaseLease = $"""
        UPDATE {Tables.Installations}
        SET refresh_lease_owner = NULL, refresh_lease_until = NULL
        WHERE location_id = @LocationId AND refresh_lease_owner = @Owner;
        """;

    public const string InstallationDelete = $"DELETE FROM {Tables.Installations} WHERE location_id = @LocationId;";

    public const string InstallationListTokens = $"""
        SELECT location_id AS LocationId, access_token AS AccessToken, refresh_token AS RefreshToken, row_version AS RowVersion
        FROM {Tables.Installations}
        ORDER BY location_id;
        """;

    /// <summary>Replaces the tokens only if nobody wrote the row since it was read (optimistic, by row version).</summary>
    public const string InstallationReplaceTokens = $"""
        SET NOCOUNT OFF;
        UPDATE {Tables.Installations}
        SET access_token = @AccessToken, refresh_token = @RefreshToken, row_version = row_version + 1
        WHERE location_id = @LocationId AND row_version = @RowVersion;
        """;

    // ---------------------------------------------------------------- contact index

    /// <summary>Upserts one key; run once per key, in key order, inside the caller's transaction.</summary>
    public const string ContactKeyUpsert = $"""
        UPDATE {Tables.ContactKeys} WITH (UPDLOCK, SERIALIZABLE)
        SET contact_id = @ContactId, updated_at = @UpdatedAt
        WHERE location_id = @LocationId AND key_kind = @Kind AND key_value = @Value;
        IF @@ROWCOUNT = 0
            INSERT INTO {Tables.ContactKeys} (location_id, key_kind, key_value, contact_id, updated_at)
            VALUES (@LocationId, @Kind, @Value, @ContactId, @UpdatedAt);
        """;

    public const string ContactKeysFindOne = $"""
        SELECT contact_id FROM {Tables.ContactKeys}
        WHERE location_id = @LocationId AND key_kind = @Kind AND key_value = @Value;
        """;

    /// <summary>
    /// <c>@Keys</c> is a JSON array of objects with <c>kind</c> and <c>value</c>. OPENJSON's columns take the database's
    /// collation, so the comparison with the binary-collated key names its collation.
    /// </summary>
    public const string ContactKeysFindMany = $"""
        SELECT k.key_kind AS Kind, k.key_value AS Value, k.contact_id AS ContactId
        FROM {Tables.ContactKeys} AS k
        INNER JOIN OPENJSON(@Keys) WITH (kind nvarchar(16) '$.kind', value nvarchar(320) '$.value') AS q
            ON k.key_kind = q.kind AND k.key_value = q.value COLLATE Latin1_General_100_BIN2
        WHERE k.location_id = @LocationId
        ORDER BY k.key_kind, k.key_value;
        """;

    public const string ContactKeysOfContact = $"""
        SELECT key_kind AS Kind, key_value AS Value, contact_id AS ContactId
        FROM {Tables.ContactKeys}
        WHERE location_id = @LocationId AND contact_id = @ContactId
        ORDER BY key_kind, key_value;
        """;

    /// <summary>Returns 1 when the event is not stale (and records its time), 0 when the stored time is later.</summary>
    public const string ContactAdvance = $"""
        SET NOCOUNT ON;
        DECLARE @stored datetimeoffset(7);
        SELECT @stored = last_occurred_at
        FROM {Tables.ContactVersions} WITH (UPDLOCK, HOLDLOCK)
        WHERE location_id = @LocationId AND contact_id = @ContactId;
        IF @stored IS NULL
        BEGIN
            INSERT INTO {Tables.ContactVersions} (location_id, contact_id, last_occurred_at)
            VALUES (@LocationId, @ContactId, @OccurredAt);
            SELECT 1;
        END
        ELSE IF @stored <= @OccurredAt
        BEGIN
            UPDATE {Tables.ContactVersions} SET last_occurred_at = @OccurredAt
            WHERE location_id = @LocationId AND contact_id = @ContactId;
            SELECT 1;
        END
        ELSE
            SELECT 0;
        """;

    /// <summary>The record of one tag (<c>@Tag</c>) of each contact in <c>@ContactIds</c> (a JSON array) that has one.</summary>
    public const string ContactTagVersionsOfContacts = $"""
        SELECT contact_id AS ContactId, tag AS Tag, last_operation AS Operation, last_occurred_at AS LastOccurredAt
        FROM {Tables.ContactTagVersions}
        WHERE location_id = @LocationId AND tag = @Tag
          AND contact_id IN (SELECT id FROM OPENJSON(@ContactIds) WITH (id nvarchar(400) '$'));
        """;

    /// <summary>
    /// One tag: returns 1 when its change is not stale (and records operation and time, keeping what the row said before
    /// in its prior columns, NULL when inserted, for <see cref="ContactTagRevert"/>), 0 otherwise.
    /// </summary>
    public const string ContactTagAdvance = $"""
        SET NOCOUNT ON;
        DECLARE @stored datetimeoffset(7);
        SELECT @stored = last_occurred_at
        FROM {Tables.ContactTagVersions} WITH (UPDLOCK, HOLDLOCK)
        WHERE location_id = @LocationId AND contact_id = @ContactId AND tag = @Tag;
        IF @stored IS NULL
        BEGIN
            INSERT INTO {Tables.ContactTagVersions} (location_id, contact_id, tag, last_operation, last_occurred_at, prior_operation, prior_occurred_at)
            VALUES (@LocationId, @ContactId, @Tag, @Operation, @OccurredAt, NULL, NULL);
            SELECT 1;
        END
        ELSE IF @stored <= @OccurredAt
        BEGIN
            UPDATE {Tables.ContactTagVersions}
            SET prior_operation = last_operation, prior_occurred_at = last_occurred_at,
                last_operation = @Operation, last_occurred_at = @OccurredAt
            WHERE location_id = @LocationId AND contact_id = @ContactId AND tag = @Tag;
            SELECT 1;
        END
        ELSE
            SELECT 0;
        """;

    /// <summary>
    /// Takes back the last change of one tag (<c>@Tag</c>) of one contact, in the transaction that made it (which still
    /// holds the row): a row it inserted goes, a row it changed says again what it said before.
    /// </summary>
    public const string ContactTagRevert = $"""
        SET NOCOUNT ON;
        DELETE FROM {Tables.ContactTagVersions}
        WHERE location_id = @LocationId AND contact_id = @ContactId AND tag = @Tag AND prior_occurred_at IS NULL;
        UPDATE {Tables.ContactTagVersions}
        SET last_operation = prior_operation, last_occurred_at = prior_occurred_at, prior_operation = NULL, prior_occurred_at = NULL
        WHERE location_id = @LocationId AND contact_id = @ContactId AND tag = @Tag AND prior_occurred_at IS NOT NULL;
        """;

    public const string ContactDelete = $"""
        SET NOCOUNT OFF;
        DELETE FROM {Tables.ContactKeys} WHERE location_id = @LocationId AND contact_id = @ContactId;
        DELETE FROM {Tables.ContactVersions} WHERE location_id = @LocationId AND contact_id = @ContactId;
        DELETE FROM {Tables.ContactTagVersions} WHERE location_id = @LocationId AND contact_id = @ContactId;
        """;

    public const string ContactIndexDeleteLocation = $"""
        SET NOCOUNT OFF;
        DELETE FROM {Tables.ContactKeys} WHERE location_id = @LocationId;
        DELETE FROM {Tables.ContactVersions} WHERE location_id = @LocationId;
        DELETE FROM {Tables.ContactTagVersions} WHERE location_id = @LocationId;
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
          AND (@TextPattern IS NULL OR fault_message LIKE @TextPattern ESCAPE '\' OR api_answer LIKE @TextPattern ESCAPE '\'
               OR body LIKE @TextPattern ESCAPE '\')
        """;

    /// <summary>
    /// Adds a failure or bumps the existing row of the same occurrence (run in a transaction); returns the row's id
    /// (equal to <c>@Id</c> when it was added). The same delivery seen again (same failure time: the collector died
    /// before acknowledging) changes nothing but the stored copy.
    /// </summary>
    public const string DeadLetterAddOrUpdate = $"""
        SET NOCOUNT ON;
        DECLARE @existing TABLE (id uniqueidentifier NOT NULL);
        UPDATE {Tables.DeadLetters} WITH (UPDLOCK, SERIALIZABLE)
        SET message_type = COALESCE(@MessageType, message_type),
            location_id = COALESCE(@LocationId, location_id),
            body = @Body, headers = @Headers, fault_type = @FaultType, fault_message = @FaultMessage,
            fault_stack_trace = @FaultStackTrace, classification = @Classification, fingerprint = @Fingerprint,
            http_status = @HttpStatus, api_answer = @ApiAnswer, attempts = @Attempts,
            consumer = COALESCE(@Consumer, consumer),
            first_failed_at = CASE WHEN @FailedAt < first_failed_at THEN @FailedAt ELSE first_failed_at END,
            last_failed_at = CASE WHEN @FailedAt > last_failed_at THEN @FailedAt ELSE last_failed_at END,
            failure_count = failure_count + CASE WHEN last_failed_at = @FailedAt THEN 0 ELSE 1 END,
            status_changed_at = CASE WHEN status = @NewStatus OR last_failed_at = @FailedAt THEN status_changed_at ELSE @FailedAt END,
            status = CASE WHEN last_failed_at = @FailedAt THEN status ELSE @NewStatus END
        OUTPUT inserted.id INTO @existing (id)
        WHERE source_queue = @SourceQueue AND message_id = @MessageId AND occurrence = @Occurrence;
        IF EXISTS (SELECT 1 FROM @existing)
            SELECT TOP (1) id FROM @existing;
        ELSE
        BEGIN
            INSERT INTO {Tables.DeadLetters}
                (id, source_queue, message_id, message_type, location_id, body, headers, fault_type, fault_message,
                 fault_stack_trace, classification, fingerprint, first_failed_at, last_failed_at, failure_count, status,
                 replay_count, status_changed_at, http_status, api_answer, attempts, consumer, replay_of, occurrence)
            VALUES (@Id, @SourceQueue, @MessageId, @MessageType, @LocationId, @Body, @Headers, @FaultType, @FaultMessage,
                    @FaultStackTrace, @Classification, @Fingerprint, @FailedAt, @FailedAt, 1, @NewStatus, 0, @FailedAt,
                    @HttpStatus, @ApiAnswer, @Attempts, @Consumer, @ReplayOf, @Occurrence);
            SELECT @Id;
        END
        """;

    public const string DeadLetterGet = $"SELECT {DeadLetterColumns} FROM {Tables.DeadLetters} WHERE id = @Id;";

    // OPTION (RECOMPILE): each filter combination gets a plan of its own instead of one plan for every "IS NULL OR".
    public const string DeadLetterQuery = $"""
        SELECT {DeadLetterColumns} FROM {Tables.DeadLetters}
        WHERE {DeadLetterFilter}
        ORDER BY last_failed_at DESC, id
        OFFSET @Skip ROWS FETCH NEXT @Take ROWS ONLY
        OPTION (RECOMPILE);
        """;

    public const string DeadLetterCount = $"""
        SELECT COUNT_BIG(*) FROM {Tables.DeadLetters} WHERE {DeadLetterFilter} OPTION (RECOMPILE);
        """;

    public const string DeadLetterGroupByFingerprint = $"""
        SELECT fingerprint AS Fingerprint, COUNT_BIG(*) AS Count, MAX(message_type) AS MessageType, MAX(fault_type) AS FaultType,
               MAX(fault_message) AS SampleFaultMessage, MIN(first_failed_at) AS FirstFailedAt, MAX(last_failed_at) AS LastFailedAt,
               MAX(classification) AS Classification, COUNT_BIG(DISTINCT location_id) AS LocationCount,
               MIN(location_id) AS SampleLocationId, MIN(CAST(id AS nvarchar(36))) AS ExampleId
        FROM {Tables.DeadLetters}
        WHERE {DeadLetterFilter}
        GROUP BY fingerprint
        ORDER BY COUNT_BIG(*) DESC, fingerprint
        OFFSET @Skip ROWS FETCH NEXT @Take ROWS ONLY
        OPTION (RECOMPILE);
        """;

    /// <summary>Sets the status of one dead letter (counting a replay) and audits it; returns 1, or 0 when none.</summary>
    public const string DeadLetterChangeStatus = $"""
        SET NOCOUNT ON;
        UPDATE {Tables.DeadLetters}
        SET status = @Status, replay_count = replay_count + @ReplayIncrement, status_changed_at = @At
        WHERE id = @Id;
        IF @@ROWCOUNT = 0
            SELECT 0;
        ELSE
        BEGIN
            INSERT INTO {Tables.DeadLetterAudit} (dead_letter_id, action, actor, note, occurred_at)
            VALUES (@Id, @Action, @Actor, @Note, @At);
            SELECT 1;
        END
        """;

    /// <summary>Moves every dead letter of a location in <c>@FromStatus</c> to <c>@Status</c>, auditing each; returns how many.</summary>
    public const string DeadLetterChangeStatusOfLocation = $"""
        SET NOCOUNT ON;
        DECLARE @changed TABLE (id uniqueidentifier NOT NULL);
        UPDATE {Tables.DeadLetters}
        SET status = @Status, status_changed_at = @At
        OUTPUT inserted.id INTO @changed (id)
        WHERE location_id = @LocationId AND status = @FromStatus;
        INSERT INTO {Tables.DeadLetterAudit} (dead_letter_id, action, actor, note, occurred_at)
        SELECT id, @Action, @Actor, @Note, @At FROM @changed;
        SELECT COUNT(*) FROM @changed;
        """;

    public const string DeadLetterAuditTrail = $"""
        SELECT dead_letter_id AS DeadLetterId, action AS Action, actor AS Actor, note AS Note, occurred_at AS At
        FROM {Tables.DeadLetterAudit}
        WHERE dead_letter_id = @Id
        ORDER BY id;
        """;

    /// <summary>Deletes dead letters whose last failure is before <c>@Before</c> (new ones only when <c>@IncludeNew</c>); returns how many.</summary>
    public const string DeadLetterPurge = $"""
        SET NOCOUNT ON;
        DELETE FROM {Tables.DeadLetters}
        WHERE last_failed_at < @Before AND (@IncludeNew = 1 OR status <> @NewStatus);
        SELECT @@ROWCOUNT;
        """;

    // ---------------------------------------------------------------- circuit states

    /// <summary>Records a circuit's state for one owner (run in a transaction).</summary>
    public const string CircuitStateUpsert = $"""
        UPDATE {Tables.CircuitStates} WITH (UPDLOCK, SERIALIZABLE)
        SET state = @State, reason = @Reason, changed_at = @ChangedAt
        WHERE circuit = @Circuit AND owner = @Owner;
        IF @@ROWCOUNT = 0
            INSERT INTO {Tables.CircuitStates} (circuit, owner, state, reason, changed_at)
            VALUES (@Circuit, @Owner, @State, @Reason, @ChangedAt);
        """;

    public const string CircuitStateList = $"""
        SELECT circuit AS Circuit, owner AS Owner, state AS State, reason AS Reason, changed_at AS ChangedAt
        FROM {Tables.CircuitStates}
        ORDER BY circuit, owner;
        """;

    /// <summary>Unsent outbox rows: how many, and when the oldest was created.</summary>
    public const string OutboxPendingSummary = $"""
        SELECT COUNT_BIG(*) AS Pending, MIN(created_at) AS OldestCreatedAt FROM {Tables.Outbox} WHERE sent_at IS NULL;
        """;

    // ---------------------------------------------------------------- rate limits
    //
    // Every rate-limit statement reads "now" from the database (SYSUTCDATETIME(), as datetimeoffset +00:00 like the
    // columns), never from a parameter, so processes whose clocks differ share one clock. It is read after the batch holds
    // the row's lock: a time read before waiting for another process's take or reservation would lie in the past.

    /// <summary>
    /// Takes permits atomically (run in a transaction): makes sure the row exists under a key-range lock, then takes
    /// only if not blocked and the window — restarted when it ended (it started at least <c>@WindowMs</c> ago by the
    /// database's clock) — stays within <c>@Limit</c>. Returns whether it took, the state that decides how long to wait,
    /// and the database's now the wait is measured from.
    /// </summary>
    public const string RateLimitTryTake = $"""
        SET NOCOUNT ON;
        DECLARE @taken int;
        IF NOT EXISTS (
            SELECT 1 FROM {Tables.RateLimits} WITH (UPDLOCK, HOLDLOCK)
            WHERE app = @App AND location_id = @LocationId)
            INSERT INTO {Tables.RateLimits} (app, location_id, window_started_at, permits_taken, blocked_until)
            VALUES (@App, @LocationId, {UtcNow}, 0, NULL);
        DECLARE @dbNow datetimeoffset(7) = {UtcNow};
        DECLARE @windowCutoff datetimeoffset(7) = DATEADD(MILLISECOND, -@WindowMs, @dbNow);
        UPDATE {Tables.RateLimits}
        SET window_started_at = CASE WHEN window_started_at <= @windowCutoff THEN @dbNow ELSE window_started_at END,
            permits_taken = CASE WHEN window_started_at <= @windowCutoff THEN 0 ELSE permits_taken END + @Permits
        WHERE app = @App AND location_id = @LocationId
          AND (blocked_until IS NULL OR blocked_until <= @dbNow)
          AND CASE WHEN window_started_at <= @windowCutoff THEN 0 ELSE permits_taken END + @Permits <= @Limit;
        SET @taken = @@ROWCOUNT;
        SELECT CAST(CASE WHEN @taken > 0 THEN 1 ELSE 0 END AS bit) AS Granted, window_started_at AS WindowStartedAt,
               permits_taken AS PermitsTaken, blocked_until AS BlockedUntil, @dbNow AS DbNow
        FROM {Tables.RateLimits}
        WHERE app = @App AND location_id = @LocationId;
        """;

    /// <summary>
    /// Extends the block of a pair to <c>@DurationMs</c> past the database's now (run in a transaction), creating the
    /// row when needed.
    /// </summary>
    public const string RateLimitBlock = $"""
        SET NOCOUNT ON;
        IF NOT EXISTS (
            SELECT 1 FROM {Tables.RateLimits} WITH (UPDLOCK, HOLDLOCK)
            WHERE app = @App AND location_id = @LocationId)
            INSERT INTO {Tables.RateLimits} (app, location_id, window_started_at, permits_taken, blocked_until)
            VALUES (@App, @LocationId, {UtcNow}, 0, NULL);
        DECLARE @until datetimeoffset(7) = DATEADD(MILLISECOND, @DurationMs, {UtcNow});
        UPDATE {Tables.RateLimits}
        SET blocked_until = CASE WHEN blocked_until IS NULL OR blocked_until < @until THEN @until ELSE blocked_until END
        WHERE app = @App AND location_id = @LocationId;
        """;

    /// <summary>The database's now, in the columns' type.</summary>
    private const string UtcNow = "TODATETIMEOFFSET(SYSUTCDATETIME(), '+00:00')";

    /// <summary>
    /// Declares <c>@dbNow</c> (the database's now) and <c>@dailyWindowStart</c>, <c>@dailyWindowEnd</c>: the daily window
    /// it falls in, windows of <c>@DailyWindowMs</c> aligned on the Unix epoch. (DATEADD takes an int: whole days, then
    /// the milliseconds left.)
    /// </summary>
    private const string DeclareDailyWindow = $"""
        DECLARE @dbNow datetimeoffset(7) = {UtcNow};
        DECLARE @epoch datetimeoffset(7) = '1970-01-01T00:00:00+00:00';
        DECLARE @windowStartMs bigint = DATEDIFF_BIG(MILLISECOND, @epoch, @dbNow) / @DailyWindowMs * @DailyWindowMs;
        DECLARE @dailyWindowStart datetimeoffset(7) =
            DATEADD(MILLISECOND, CAST(@windowStartMs % 86400000 AS int), DATEADD(DAY, CAST(@windowStartMs / 86400000 AS int), @epoch));
        DECLARE @dailyWindowEnd datetimeoffset(7) =
            DATEADD(MILLISECOND, @DailyWindowMs, @dailyWindowStart);
        """;
}
