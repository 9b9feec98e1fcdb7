using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>
/// Shared rate-limit state over either provider. The database's clock keeps the schedule: the SQL reads "now" itself
/// and returns it, and every wait is measured from it. The process's clock (<paramref name="time"/>) only dates an
/// observation's age.
/// </summary>
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

        var state = await TakeAsync(
            new { App = app, LocationId = locationId, Permits = permits, Limit = limit, WindowMs = Milliseconds(window) },
            cancellationToken);
        if (state.Granted)
        {
            return new RateLimitDecision(true, TimeSpan.Zero);
        }

        if (state.DbNow is not { } now)
        {
            // The row went away between the take and the read: nothing is known to wait for.
            return new RateLimitDecision(false, TimeSpan.Zero);
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
        string app, string locationId, RateLimitBudget budget, RateLimitObservation? observed, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budget.Max);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budget.DailyLimit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget.Interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(budget.DailyWindow, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget.MaxWait, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(budget.Headroom);

        // Only how long ago the answer came crosses to the database; it places that age on its own clock.
        var observedAge = observed is null ? TimeSpan.Zero : time.GetUtcNow() - observed.At;
        var parameters = new
        {
            App = app,
            LocationId = locationId,
            MaxWaitMs = Milliseconds(budget.MaxWait),
            budget.Max,
            IntervalMs = Milliseconds(budget.Interval),
            SpacingFactor = 1 + budget.Headroom,
            budget.DailyLimit,
            DailyWindowMs = Milliseconds(budget.DailyWindow),
            ObservedMax = observed?.Max is > 0 ? observed.Max : null,
            ObservedIntervalMs = observed?.Interval is { } interval && interval > TimeSpan.Zero ? Milliseconds(interval) : (int?)null,
            ObservedDailyLimit = observed?.DailyLimit is > 0 ? observed.DailyLimit : null,
            ObservedDailyUsed = observed?.DailyUsed is >= 0 ? observed.DailyUsed : null,
            ObservedAgeMs = observed?.DailyUsed is >= 0 ? Milliseconds(observedAge > TimeSpan.Zero ? observedAge : TimeSpan.Zero) : (int?)null,
        };
        var schedule = await ReserveSlotAsync(parameters, cancellationToken);
        if (schedule.DbNow is not { } now)
        {
            // No schedule row to judge by (it cannot be missing after the learn step; say "soon" rather than fail).
            return new RateLimitReservation(false, TimeSpan.FromMilliseconds(Math.Max(1, schedule.SpacingMilliseconds)));
        }

        if (schedule.Granted)
        {
            var slot = schedule.NextSlotAt!.Value - TimeSpan.FromMilliseconds(schedule.SpacingMilliseconds);
            return new RateLimitReservation(true, slot > now ? slot - now : TimeSpan.Zero);
        }

        var dailyLimit = schedule.DailyLimit ?? budget.DailyLimit;
        if (schedule.DailyWindowStart is { } started && started >= schedule.CurrentDailyWindowStart && schedule.DailyUsed >= dailyLimit)
        {
            var reset = started + budget.DailyWindow;
            return new RateLimitReservation(false, reset > now ? reset - now : TimeSpan.FromSeconds(1), DailyLimitReached: true);
        }

        var busyUntil = Later(schedule.NextSlotAt, schedule.BlockedUntil) ?? now;
        return new RateLimitReservation(false, busyUntil > now ? busyUntil - now : TimeSpan.FromMilliseconds(Math.Max(1, schedule.SpacingMilliseconds)));
    }

    public Task BlockForAsync(string app, string locationId, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(app);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        return BlockAsync(new { App = app, LocationId = locationId, DurationMs = Milliseconds(duration) }, cancellationToken);
    }

    /// <summary>
    /// Runs the atomic take with parameters App, LocationId, Permits, Limit, WindowMs; when refused, also returns the
    /// state the wait is computed from and the database's now.
    /// </summary>
    protected abstract Task<TakeState> TakeAsync(object parameters, CancellationToken cancellationToken);

    /// <summary>Runs the block with parameters App, LocationId, DurationMs.</summary>
    protected abstract Task BlockAsync(object parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Stores what was learned (parameters App, LocationId, DailyWindowMs, Observed*), then reserves a slot at most
    /// MaxWaitMs away within the daily budget (Max, IntervalMs, SpacingFactor, DailyLimit as defaults); when refused,
    /// returns the schedule that refused it. Either way with the database's now.
    /// </summary>
    protected abstract Task<ScheduleState> ReserveSlotAsync(object parameters, CancellationToken cancellationToken);

    private static int Milliseconds(TimeSpan span) => (int)Math.Min(int.MaxValue, Math.Ceiling(span.TotalMilliseconds));

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;

    internal sealed class ScheduleState
    {
        public bool Granted { get; set; }

        public DateTimeOffset? NextSlotAt { get; set; }

        public DateTimeOffset? BlockedUntil { get; set; }

        public int SpacingMilliseconds { get; set; }

        public int? DailyLimit { get; set; }

        public int DailyUsed { get; set; }

        public DateTimeOffset? DailyWindowStart { get; set; }

        /// <summary>The database's now the answer was given at.</summary>
        public DateTimeOffset? DbNow { get; set; }

        /// <summary>The start of the daily window <see cref="DbNow"/> falls in (only when refused).</summary>
        public DateTimeOffset? CurrentDailyWindowStart { get; set; }
    }

    internal sealed class TakeState
    {
        public bool Granted { get; set; }

        public DateTimeOffset? WindowStartedAt { get; set; }

        public int PermitsTaken { get; set; }

        public DateTimeOffset? BlockedUntil { get; set; }

        /// <summary>The database's now the state was read at (only when refused).</summary>
        public DateTimeOffset? DbNow { get; set; }
    }
}

internal sealed class SqlServerRateLimitStore(StorageDatabase database, TimeProvider time) : RateLimitStore(database, time)
{
    protected override Task<ScheduleState> ReserveSlotAsync(object parameters, CancellationToken cancellationToken) =>
        Database.InTransactionAsync(
            async (connection, transaction) =>
            {
                await connection.ExecuteAsync(Database.Command(SqlServerStatements.RateLimitLearn, parameters, transaction, cancellationToken));
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
    protected override async Task<ScheduleState> ReserveSlotAsync(object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await Database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(Database.Command(PostgreSqlStatements.RateLimitLearn, parameters, transaction: null, cancellationToken));
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
