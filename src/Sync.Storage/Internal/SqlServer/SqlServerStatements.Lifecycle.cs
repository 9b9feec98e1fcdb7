namespace Sync.Storage.Internal.SqlServer;

/// <summary>Statements of the location lifecycle and the shared API schedule.</summary>
internal static partial class SqlServerStatements
{
    public const string OutboxDeletePendingForLocation = $"""
        DELETE FROM {Tables.Outbox} WHERE location_id = @LocationId AND sent_at IS NULL;
        """;

    public const string InstallationInsertIfAbsent = $"""
        INSERT INTO {Tables.Installations}
            (location_id, company_id, auth_mode, status, access_token, refresh_token, access_token_expires_at,
             installed_at, updated_at, row_version)
        SELECT @LocationId, @CompanyId, @AuthMode, @Status, @AccessToken, @RefreshToken, @AccessTokenExpiresAt,
               @UpdatedAt, @UpdatedAt, 1
        WHERE NOT EXISTS (
            SELECT 1 FROM {Tables.Installations} WITH (UPDLOCK, HOLDLOCK) WHERE location_id = @LocationId);
        """;

    /// <summary>
    /// Reserves the next slot: it starts at the latest of the stored next slot, the block, and now, and must not be
    /// later than <c>@Latest</c>; the stored next slot moves <c>@SpacingMilliseconds</c> past it. Returns the new next
    /// slot, or no row when the slot would be too late.
    /// </summary>
    public const string RateLimitReserve = $"""
        SET NOCOUNT ON;
        IF NOT EXISTS (
            SELECT 1 FROM {Tables.RateLimits} WITH (UPDLOCK, HOLDLOCK)
            WHERE app = @App AND location_id = @LocationId)
            INSERT INTO {Tables.RateLimits} (app, location_id, window_started_at, permits_taken, blocked_until, next_slot_at)
            VALUES (@App, @LocationId, @Now, 0, NULL, NULL);
        UPDATE r
        SET next_slot_at = DATEADD(MILLISECOND, @SpacingMilliseconds, s.start_at)
        OUTPUT inserted.next_slot_at AS NextSlotAt
        FROM {Tables.RateLimits} AS r WITH (UPDLOCK, ROWLOCK)
        CROSS APPLY (SELECT MAX(v.at) AS start_at FROM (VALUES (r.next_slot_at), (r.blocked_until), (@Now)) AS v(at)) AS s
        WHERE r.app = @App AND r.location_id = @LocationId AND s.start_at <= @Latest;
        """;

    public const string RateLimitGetSchedule = $"""
        SELECT next_slot_at AS NextSlotAt, blocked_until AS BlockedUntil
        FROM {Tables.RateLimits}
        WHERE app = @App AND location_id = @LocationId;
        """;
}
