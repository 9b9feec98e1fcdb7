namespace Sync.Storage.Internal.PostgreSql;

/// <summary>Statements of the location lifecycle and the shared API schedule.</summary>
internal static partial class PostgreSqlStatements
{
    public const string OutboxDeletePendingForLocation = $"""
        DELETE FROM {Tables.Outbox} WHERE location_id = @LocationId AND sent_at IS NULL
        """;

    public const string InstallationInsertIfAbsent = $"""
        INSERT INTO {Tables.Installations}
            (location_id, company_id, auth_mode, status, access_token, refresh_token, access_token_expires_at,
             installed_at, updated_at, row_version)
        VALUES (@LocationId, @CompanyId, @AuthMode, @Status, @AccessToken, @RefreshToken, @AccessTokenExpiresAt,
                @UpdatedAt, @UpdatedAt, 1)
        ON CONFLICT (location_id) DO NOTHING
        """;

    /// <summary>
    /// Stores what an API answer taught (burst and daily limits, the daily count as the API sees it) and rolls the daily
    /// window over when a new one began by the database's clock; creates the row on first use. The API's count
    /// (<c>@ObservedDailyUsed</c>) is taken only when the answer came (<c>@ObservedAgeMs</c> ago) in the current window.
    /// </summary>
    public const string RateLimitLearn = $"""
        INSERT INTO {Tables.RateLimits} AS r
            (app, location_id, window_started_at, permits_taken, blocked_until, next_slot_at,
             burst_max, burst_interval_ms, daily_limit, daily_window_start, daily_used)
        SELECT @App, @LocationId, c.now, 0, NULL, NULL,
               @ObservedMax, @ObservedIntervalMs, @ObservedDailyLimit, c.window_start,
               COALESCE(CASE WHEN c.now - @ObservedAgeMs * interval '1 millisecond' >= c.window_start THEN @ObservedDailyUsed END, 0)
        FROM (SELECT clock_timestamp() AS now, {DailyWindowStartNow} AS window_start) AS c
        ON CONFLICT (app, location_id) DO UPDATE
        SET burst_max = COALESCE(excluded.burst_max, r.burst_max),
            burst_interval_ms = COALESCE(excluded.burst_interval_ms, r.burst_interval_ms),
            daily_limit = COALESCE(excluded.daily_limit, r.daily_limit),
            daily_used = CASE WHEN r.daily_window_start IS NOT NULL AND r.daily_window_start >= excluded.daily_window_start
                              THEN GREATEST(r.daily_used, excluded.daily_used)
                              ELSE excluded.daily_used END,
            daily_window_start = GREATEST(r.daily_window_start, excluded.daily_window_start)
        """;

    /// <summary>
    /// Reserves the next slot and one call of the daily window: the slot starts at the latest of the stored next slot,
    /// the block, and the database's now, and must not be more than <c>@MaxWaitMs</c> away nor in the next daily window
    /// (the call is counted in the window it is made in, as the API counts it); the stored next slot moves one spacing
    /// past it (interval / max × <c>@SpacingFactor</c>, by the learned limits or the defaults). Returns the new next
    /// slot, the spacing and the database's now (the wait is the slot less that now), or no row when the slot would be
    /// too late or the daily budget is used up.
    /// </summary>
    public const string RateLimitReserve = $"""
        UPDATE {Tables.RateLimits} AS r
        SET next_slot_at = GREATEST(r.next_slot_at, r.blocked_until, clock_timestamp())
                + CEILING(COALESCE(r.burst_interval_ms, @IntervalMs) * @SpacingFactor / COALESCE(r.burst_max, @Max)) * interval '1 millisecond',
            daily_used = r.daily_used + 1
        WHERE r.app = @App AND r.location_id = @LocationId
          AND GREATEST(r.next_slot_at, r.blocked_until, clock_timestamp()) <= clock_timestamp() + @MaxWaitMs * interval '1 millisecond'
          AND GREATEST(r.next_slot_at, r.blocked_until, clock_timestamp()) < {DailyWindowEndNow}
          AND r.daily_used < COALESCE(r.daily_limit, @DailyLimit)
        RETURNING r.next_slot_at AS NextSlotAt,
            CEILING(COALESCE(r.burst_interval_ms, @IntervalMs) * @SpacingFactor / COALESCE(r.burst_max, @Max))::integer AS SpacingMilliseconds,
            clock_timestamp() AS DbNow
        """;

    /// <summary>The schedule a refused reservation waits on, with the database's now and its current daily window.</summary>
    public const string RateLimitGetSchedule = $"""
        SELECT next_slot_at AS NextSlotAt, blocked_until AS BlockedUntil,
               CEILING(COALESCE(burst_interval_ms, @IntervalMs) * @SpacingFactor / COALESCE(burst_max, @Max))::integer AS SpacingMilliseconds,
               daily_limit AS DailyLimit, daily_used AS DailyUsed, daily_window_start AS DailyWindowStart,
               clock_timestamp() AS DbNow, {DailyWindowStartNow} AS CurrentDailyWindowStart
        FROM {Tables.RateLimits}
        WHERE app = @App AND location_id = @LocationId
        """;
}
