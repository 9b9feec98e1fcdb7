using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>Shared rate-limit state over either provider.</summary>
internal abstract class RateLimitStore(StorageDatabase database, TimeProvider time) : IRateLimitStore
{
    protected StorageDatabase Database { get; } = database;

    public async Task<RateLimitDecision> TryTakeAsync(string app, string locationId, int permits, int limit, TimeSpan window, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(permits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permits, limit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);

        var now = time.GetUtcNow();
        var state = await TakeAsync(
            new { App = app, LocationId = locationId, Permits = permits, Limit = limit, Now = now, WindowCutoff = now - window },
            cancellationToken);
        if (state.Granted)
        {
            return new RateLimitDecision(true, TimeSpan.Zero);
        }

        var wait = TimeSpan.Zero;
        if (state.BlockedUntil is { } blockedUntil && blockedUntil > now)
        {
            wait = blockedUntil - now;
        }

        if (state.WindowStartedAt is { } started && started + window > now && started + window - now > wait)
        {
            wait = started + window - now;
        }

        return new RateLimitDecision(false, wait);
    }

    public async Task<RateLimitReservation> ReserveAsync(
        string app, string locationId, TimeSpan spacing, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(spacing, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWait, TimeSpan.Zero);

        var now = time.GetUtcNow();
        var schedule = await ReserveSlotAsync(app, locationId, now, spacing, now + maxWait, cancellationToken);
        if (schedule.Granted)
        {
            var slot = schedule.NextSlotAt!.Value - spacing;
            return new RateLimitReservation(true, slot > now ? slot - now : TimeSpan.Zero);
        }

        var busyUntil = Later(schedule.NextSlotAt, schedule.BlockedUntil) ?? now;
        return new RateLimitReservation(false, busyUntil > now ? busyUntil - now : spacing);
    }

    public Task BlockUntilAsync(string app, string locationId, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        return BlockAsync(new { App = app, LocationId = locationId, Until = DbValues.Utc(until), Now = time.GetUtcNow() }, cancellationToken);
    }

    /// <summary>
    /// Runs the atomic take with parameters App, LocationId, Permits, Limit, Now, WindowCutoff; when refused, also
    /// returns the state the wait is computed from.
    /// </summary>
    protected abstract Task<TakeState> TakeAsync(object parameters, CancellationToken cancellationToken);

    /// <summary>Runs the block with parameters App, LocationId, Until, Now.</summary>
    protected abstract Task BlockAsync(object parameters, CancellationToken cancellationToken);

    /// <summary>Reserves a slot no later than <paramref name="latest"/>; when refused, returns the schedule that refused it.</summary>
    protected abstract Task<ScheduleState> ReserveSlotAsync(
        string app, string locationId, DateTimeOffset now, TimeSpan spacing, DateTimeOffset latest, CancellationToken cancellationToken);

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;

    internal sealed class ScheduleState
    {
        public bool Granted { get; set; }

        public DateTimeOffset? NextSlotAt { get; set; }

        public DateTimeOffset? BlockedUntil { get; set; }
    }

    internal sealed class TakeState
    {
        public bool Granted { get; set; }

        public DateTimeOffset? WindowStartedAt { get; set; }

        public int PermitsTaken { get; set; }

        public DateTimeOffset? BlockedUntil { get; set; }
    }
}

internal sealed class SqlServerRateLimitStore(StorageDatabase database, TimeProvider time) : RateLimitStore(database, time)
{
    protected override Task<ScheduleState> ReserveSlotAsync(
        string app, string locationId, DateTimeOffset now, TimeSpan spacing, DateTimeOffset latest, CancellationToken cancellationToken) =>
        Database.InTransactionAsync(
            async (connection, transaction) =>
            {
                var parameters = new
                {
                    App = app, LocationId = locationId, Now = now, Latest = latest,
                    SpacingMilliseconds = (int)Math.Ceiling(spacing.TotalMilliseconds),
                };
                var next = (await connection.QueryAsync<ScheduleState>(Database.Command(SqlServerStatements.RateLimitReserve, parameters, transaction, cancellationToken))).FirstOrDefault();
                if (next is not null)
                {
                    next.Granted = true;
                    return next;
                }

                return await connection.QuerySingleOrDefaultAsync<ScheduleState>(
                           Database.Command(SqlServerStatements.RateLimitGetSchedule, parameters, transaction, cancellationToken))
                       ?? new ScheduleState();
            },
            cancellationToken);

    protected override Task<TakeState> TakeAsync(object parameters, CancellationToken cancellationToken) =>
        Database.InTransactionAsync(
            (connection, transaction) => connection.QuerySingleAsync<TakeState>(Database.Command(SqlServerStatements.RateLimitTryTake, parameters, transaction, cancellationToken)),
            cancellationToken);

    protected override Task BlockAsync(object parameters, CancellationToken cancellationToken) =>
        Database.InTransactionAsync(
            (connection, transaction) => connection.ExecuteAsync(Database.Command(SqlServerStatements.RateLimitBlock, parameters, transaction, cancellationToken)),
            cancellationToken);
}

internal sealed class PostgreSqlRateLimitStore(StorageDatabase database, TimeProvider time) : RateLimitStore(database, time)
{
    protected override async Task<ScheduleState> ReserveSlotAsync(
        string app, string locationId, DateTimeOffset now, TimeSpan spacing, DateTimeOffset latest, CancellationToken cancellationToken)
    {
        var parameters = new { App = app, LocationId = locationId, Now = now, Latest = latest, Spacing = spacing };
        await using var connection = await Database.OpenAsync(cancellationToken);
        var next = (await connection.QueryAsync<ScheduleState>(Database.Command(PostgreSqlStatements.RateLimitReserve, parameters, transaction: null, cancellationToken))).FirstOrDefault();
        if (next is not null)
        {
            next.Granted = true;
            return next;
        }

        return await connection.QuerySingleOrDefaultAsync<ScheduleState>(
                   Database.Command(PostgreSqlStatements.RateLimitGetSchedule, parameters, transaction: null, cancellationToken))
               ?? new ScheduleState();
    }

    protected override async Task<TakeState> TakeAsync(object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        var taken = await connection.ExecuteAsync(Database.Command(PostgreSqlStatements.RateLimitTryTake, parameters, transaction: null, cancellationToken));
        if (taken == 1)
        {
            return new TakeState { Granted = true };
        }

        // Refused: read what refused it. Only the wait is computed from this; the decision above was atomic.
        return await connection.QuerySingleOrDefaultAsync<TakeState>(Database.Command(PostgreSqlStatements.RateLimitGet, parameters, transaction: null, cancellationToken))
               ?? new TakeState();
    }

    protected override async Task BlockAsync(object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(Database.Command(PostgreSqlStatements.RateLimitBlock, parameters, transaction: null, cancellationToken));
    }
}
