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
    /// Reserves the next slot: it starts at the latest of the stored next slot, the block, and now, and must not be
    /// later than <c>@Latest</c>; the stored next slot moves one <c>@Spacing</c> past it. Returns the new next slot.
    /// </summary>
    public const string RateLimitReserve = $"""
        INSERT INTO {Tables.RateLimits} AS r (app, location_id, window_started_at, permits_taken, blocked_until, next_slot_at)
        VALUES (@App, @LocationId, @Now, 0, NULL, @Now + @Spacing)
        ON CONFLICT (app, location_id) DO UPDATE
        SET next_slot_at = GREATEST(r.next_slot_at, r.blocked_until, @Now) + @Spacing
        WHERE GREATEST(r.next_slot_at, r.blocked_until, @Now) <= @Latest
        RETURNING r.next_slot_at AS NextSlotAt
        """;

    public const string RateLimitGetSchedule = $"""
        SELECT next_slot_at AS NextSlotAt, blocked_until AS BlockedUntil
        FROM {Tables.RateLimits}
        WHERE app = @App AND location_id = @LocationId
        """;
}
