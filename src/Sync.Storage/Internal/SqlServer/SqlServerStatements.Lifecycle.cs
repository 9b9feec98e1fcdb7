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
    /// Stores what an API answer taught (burst and daily limits, the daily count as the API sees it) and rolls the daily
    /// window over when a new one began by the database's clock; creates the row on first use. The API's count
    /// (<c>@ObservedDailyUsed</c>) is taken only when the answer came (<c>@ObservedAgeMs</c> ago) in the current window.
    /// Run in a transaction, before <see cref="RateLimitReserve"/>: its lock on the row is what the reservation runs under.
    /// </summary>
    public const string RateLimitLearn = $"""
        SET NOCOUNT ON;
        {DeclareDailyWindow}
        DECLARE @observedUsed int =
            CASE WHEN DATEADD(MILLISECOND, -@ObservedAgeMs, @dbNow) >= @dailyWindowStart THEN @ObservedDailyUsed END;
        UPDATE {Tables.RateLimits} WITH (UPDLOCK, SERIALIZABLE)
        SET burst_max = COALESCE(@ObservedMax, burst_max),
            burst_interval_ms = COALESCE(@ObservedIntervalMs, burst_interval_ms),
            daily_limit = COALESCE(@ObservedDailyLimit, daily_limit),
            daily_used = CASE WHEN daily_window_start IS NOT NULL AND daily_window_start >= @dailyWindowStart
                              THEN CASE WHEN daily_used >= COALESCE(@observedUsed, 0) THEN daily_used ELSE @observedUsed END
                              ELSE COALESCE(@observedUsed, 0) END,
            daily_window_start = CASE WHEN daily_window_start IS NOT NULL AND daily_window_start >= @dailyWindowStart
                                      THEN daily_window_start ELSE @dailyWindowStart END
        WHERE app = @App AND location_id = @LocationId;
        IF @@ROWCOUNT = 0
            INSERT INTO {Tables.RateLimits}
                (app, location_id, window_started_at, permits_taken, blocked_until, next_slot_at,
                 burst_max, burst_interval_ms, daily_limit, daily_window_start, daily_used)
            VALUES (@App, @LocationId, @dbNow, 0, NULL, NULL,
                    @ObservedMax, @ObservedIntervalMs, @ObservedDailyLimit, @dailyWindowStart, COALESCE(@observedUsed, 0));
        """;

    /// <summary>
    /// Reserves the next slot and one call of the daily window: the slot starts at the latest of the stored next slot,
    /// the block, and the database's now, and must not be more than <c>@MaxWaitMs</c> away nor in the next daily window
    /// (the call is counted in the window it is made in, as the API counts it); the stored next slot moves one spacing
    /// past it (interval / max × <c>@SpacingFactor</c>, by the learned limits or the defaults). Returns the new next
    /// slot, the spacing and the database's now (the wait is the slot less that now), or no row when the slot would be
    /// too late or the daily budget is used up. Runs after <see cref="RateLimitLearn"/> in its transaction, so the row is
    /// locked before the clock is read.
    /// </summary>
    public const string RateLimitReserve = $"""
        SET NOCOUNT ON;
        {DeclareDailyWindow}
        UPDATE r
        SET next_slot_at = DATEADD(MILLISECOND, s.spacing_ms, s.start_at),
            daily_used = r.daily_used + 1
        OUTPUT inserted.next_slot_at AS NextSlotAt, s.spacing_ms AS SpacingMilliseconds, @dbNow AS DbNow
        FROM {Tables.RateLimits} AS r WITH (UPDLOCK, ROWLOCK)
        CROSS APPLY (
            SELECT (SELECT MAX(v.at) FROM (VALUES (r.next_slot_at), (r.blocked_until), (@dbNow)) AS v(at)) AS start_at,
                   CAST(CEILING(COALESCE(r.burst_interval_ms, @IntervalMs) * @SpacingFactor / COALESCE(r.burst_max, @Max)) AS int) AS spacing_ms) AS s
        WHERE r.app = @App AND r.location_id = @LocationId
          AND s.start_at <= DATEADD(MILLISECOND, @MaxWaitMs, @dbNow) AND s.start_at < @dailyWindowEnd
          AND r.daily_used < COALESCE(r.daily_limit, @DailyLimit);
        """;

    /// <summary>The schedule a refused reservation waits on, with the database's now and its current daily window.</summary>
    public const string RateLimitGetSchedule = $"""
        SET NOCOUNT ON;
        {DeclareDailyWindow}
        SELECT next_slot_at AS NextSlotAt, blocked_until AS BlockedUntil,
               CAST(CEILING(COALESCE(burst_interval_ms, @IntervalMs) * @SpacingFactor / COALESCE(burst_max, @Max)) AS int) AS SpacingMilliseconds,
               daily_limit AS DailyLimit, daily_used AS DailyUsed, daily_window_start AS DailyWindowStart,
               @dbNow AS DbNow, @dailyWindowStart AS CurrentDailyWindowStart
        FROM {Tables.RateLimits}
        WHERE app = @App AND location_id = @LocationId;
        """;
}
