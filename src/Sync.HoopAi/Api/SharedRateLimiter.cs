using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.Storage;

namespace Sync.HoopAi.Api;

/// <summary>
/// Paces each location's calls across every worker process with one shared schedule in the database (a generic cell
/// rate algorithm): every call reserves the next free slot, <c>interval / max</c> apart, so the calls of all processes
/// together stay within the limit in any window, sliding or fixed, and one call of the location's daily budget. The
/// limits are learned from the API's headers and stored with the schedule, so what one process learns paces them all.
/// A 429 pushes the location's schedule past the wait it asks for, so no process calls it until then. A slot too far
/// away, or a daily budget used up until its window resets, is not waited for: the call fails as
/// <see cref="FailureKind.Throttled"/> (Sync's own budget, never counted against the deferral cap) and its message waits
/// in the queue's tiers instead of holding a consumer.
/// </summary>
public sealed partial class SharedRateLimiter(
    IRateLimitStore store,
    IOptions<HoopAiOptions> options,
    TimeProvider time,
    ILogger<SharedRateLimiter> logger) : IApiRateLimiter
{
    private static readonly TimeSpan FirstHeaderlessWait = TimeSpan.FromSeconds(1);

    // A held slot that has passed by more than this is dropped and a new one reserved: calls made late for their
    // slots would crowd a sliding window beyond the limit.
    private static readonly TimeSpan LateSlotTolerance = TimeSpan.FromMilliseconds(20);

    private readonly ConcurrentDictionary<string, (int Max, TimeSpan Interval)> _learned = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RateLimitObservation> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _headerlessStreak = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _dailyReported = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _backgroundNext = new(StringComparer.Ordinal);

    /// <inheritdoc />
    /// <remarks>
    /// A slot at most <see cref="HoopAiOptions.RateLimitMaxWait"/> away is waited for here. One further away, up to
    /// <see cref="HoopAiOptions.RateLimitSlotHorizon"/>, is reserved all the same and handed to the message
    /// (<see cref="SyncFailureException.ReservedSlot"/>): it waits for it in the queue's wait tiers, not in a consumer, so a
    /// location with a backlog holds no more consumers than its own rate needs, and its messages come back in the order
    /// of their slots instead of all at once. A slot held through <see cref="ApiSlotScope"/> is used without reserving.
    /// </remarks>
    public async ValueTask AcquireAsync(string locationId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.RateLimitEnabled)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (ApiSlotScope.TryTake(locationId, now, LateSlotTolerance, out var held))
        {
            if (held > now)
            {
                await Task.Delay(held - now, time, cancellationToken);
            }

            if (!WokeLate(held))
            {
                return;
            }
        }

        var budget = Budget(settings);
        if (settings.RateLimitSlotHorizon > budget.MaxWait)
        {
            budget = budget with { MaxWait = settings.RateLimitSlotHorizon };
        }

        while (true)
        {
            var observed = TakeObservation(locationId, budget, settings);
            var reservation = await store.ReserveAsync(settings.AppId, locationId, budget, observed, cancellationToken);
            if (!reservation.Granted)
            {
                if (reservation.DailyLimitReached)
                {
                    var windowStart = budget.DailyWindowStart(time.GetUtcNow());
                    if (!_dailyReported.TryGetValue(locationId, out var reported) || reported != windowStart)
                    {
                        _dailyReported[locationId] = windowStart;
                        LogDailyLimitReached(locationId, reservation.Wait);
                    }

                    throw new SyncFailureException(FailureKind.Throttled,
                        $"Location {locationId} has used up its daily API budget; the call waits {reservation.Wait} for the daily reset.", reservation.Wait);
                }

                LogBudgetExhausted(locationId, reservation.Wait);
                throw new SyncFailureException(FailureKind.Throttled,
                    $"Location {locationId} has no API budget for {reservation.Wait}; the call waits in the queue.", reservation.Wait);
            }

            if (reservation.Wait > settings.RateLimitMaxWait)
            {
                LogSlotReserved(locationId, reservation.Wait);
                throw new SyncFailureException(FailureKind.Throttled,
                    $"Location {locationId}: the API slot reserved for this call is {reservation.Wait} away; the message waits for it in the queue.",
                    reservation.Wait)
                {
                    ReservedSlot = new ApiSlot(locationId, time.GetUtcNow() + reservation.Wait),
                };
            }

            var due = time.GetUtcNow() + reservation.Wait;
            if (reservation.Wait > TimeSpan.Zero)
            {
                await Task.Delay(reservation.Wait, time, cancellationToken);
            }

            if (!WokeLate(due))
            {
                return;
            }
        }
    }

    // A call made well after its slot (the process was busy when the slot came) would crowd the next calls into a sliding
    // window beyond the limit: the slot is let go and another reserved.
    private bool WokeLate(DateTimeOffset slot)
    {
        if (time.GetUtcNow() - slot <= LateSlotTolerance)
        {
            return false;
        }

        SyncTelemetry.ApiSlotsMissed.Add(1);
        return true;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The schedule spaces calls <c>interval / max</c> apart, so how far its next free slot lies ahead is how much of the
    /// coming interval's budget is already taken: a slot <c>share × interval</c> away means <c>share</c> of the limit is
    /// spoken for. The background call therefore reserves with that as its longest wait (instead of
    /// <see cref="HoopAiOptions.RateLimitMaxWait"/>), and when refused waits in-process and asks again; after a granted call
    /// it leaves <c>interval / (max × share)</c> before its next one, so alone it takes at most that share too.
    /// </remarks>
    public async ValueTask AcquireAsync(string locationId, double budgetShare, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetShare);
        var settings = options.Value;
        if (budgetShare >= 1 || !settings.RateLimitEnabled)
        {
            await AcquireAsync(locationId, cancellationToken);
            return;
        }

        var (max, interval) = _learned.TryGetValue(locationId, out var learned) && learned.Max > 0
            ? learned
            : (settings.RateLimitMax, settings.RateLimitInterval);
        var spacing = interval / max;
        var ownGap = spacing / budgetShare;
        var window = interval * budgetShare;
        if (_backgroundNext.TryGetValue(locationId, out var next) && next > time.GetUtcNow())
        {
            await Task.Delay(next - time.GetUtcNow(), time, cancellationToken);
        }

        var budget = Budget(settings) with { MaxWait = window < settings.RateLimitMaxWait ? window : settings.RateLimitMaxWait };
        while (true)
        {
            var observed = TakeObservation(locationId, budget, settings);
            var reservation = await store.ReserveAsync(settings.AppId, locationId, budget, observed, cancellationToken);
            if (reservation.Granted)
            {
                _backgroundNext[locationId] = time.GetUtcNow() + reservation.Wait + ownGap;
                if (reservation.Wait > TimeSpan.Zero)
                {
                    await Task.Delay(reservation.Wait, time, cancellationToken);
                }

                return;
            }

            if (reservation.DailyLimitReached)
            {
                throw new SyncFailureException(FailureKind.Throttled,
                    $"Location {locationId} has used up its daily API budget; the background reader waits {reservation.Wait} for the daily reset.", reservation.Wait);
            }

            // Busy with other calls: wait until what is scheduled fits the share again.
            var wait = reservation.Wait - budget.MaxWait;
            wait = wait < spacing ? spacing : wait > interval ? interval : wait;
            LogBackgroundWaits(locationId, wait, budgetShare);
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    /// <inheritdoc />
    public void Observe(string locationId, RateLimitSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot is { Max: > 0 and var max, Interval: { } interval })
        {
            var current = _learned.GetValueOrDefault(locationId);
            if (current.Max != max || current.Interval != interval)
            {
                _learned[locationId] = (max, interval);
                LogLimitLearned(locationId, max, interval);
            }
        }

        // An answer that shows budget left ends a run of 429s without headers.
        if (snapshot.Remaining is > 0)
        {
            _headerlessStreak.TryRemove(locationId, out _);
        }

        int? dailyUsed = snapshot is { DailyLimit: { } limit, DailyRemaining: { } remaining } ? Math.Max(0, limit - remaining) : null;
        if (snapshot.Max is null && snapshot.Interval is null && snapshot.DailyLimit is null && dailyUsed is null)
        {
            return;
        }

        // Stored with the location's next reservation; a newer answer replaces an older one not yet stored.
        var observation = new RateLimitObservation(snapshot.Max, snapshot.Interval, snapshot.DailyLimit, dailyUsed, time.GetUtcNow());
        _pending.AddOrUpdate(locationId, observation, (_, older) => observation with
        {
            Max = observation.Max ?? older.Max,
            Interval = observation.Interval ?? older.Interval,
            DailyLimit = observation.DailyLimit ?? older.DailyLimit,
            DailyUsed = observation.DailyUsed ?? older.DailyUsed,
        });
    }

    /// <inheritdoc />
    public async Task<TimeSpan> OnRateLimitedAsync(string locationId, RateLimitSnapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var settings = options.Value;
        var now = time.GetUtcNow();
        TimeSpan wait;
        if (snapshot.RetryAfter is { } retryAfter)
        {
            wait = retryAfter;
        }
        else if (snapshot is { DailyRemaining: <= 0 })
        {
            // The daily budget is gone: nothing before the daily window resets.
            var budget = Budget(settings);
            wait = budget.DailyWindowStart(now) + budget.DailyWindow - now;
        }
        else if (snapshot.Interval is { } interval)
        {
            wait = interval;
        }
        else
        {
            // No header says how long: 1, 2, 4, 8 … seconds for each further such 429, up to the burst interval.
            var streak = _headerlessStreak.AddOrUpdate(locationId, 0, (_, done) => done + 1);
            var cap = _learned.TryGetValue(locationId, out var learned) ? learned.Interval : settings.RateLimitInterval;
            var grown = FirstHeaderlessWait * Math.Pow(2, Math.Min(streak, 20));
            wait = grown < cap ? grown : cap;
        }

        // The wait, not an instant: the store adds it to the database's now, so this process's clock does not move the
        // block for the others.
        await store.BlockForAsync(settings.AppId, locationId, wait, cancellationToken);
        LogBlocked(locationId, wait);
        return wait;
    }

    private RateLimitObservation? TakeObservation(string locationId, RateLimitBudget budget, HoopAiOptions settings)
    {
        if (_pending.TryRemove(locationId, out var observed) && observed.DailyUsed is not null &&
            observed.At - budget.DailyWindowStart(observed.At) < settings.Timeout)
        {
            // An answer read this soon after a daily reset may be to a call made before it: its count is not this window's.
            observed = observed with { DailyUsed = null };
        }

        return observed;
    }

    private static RateLimitBudget Budget(HoopAiOptions settings) => new(
        settings.RateLimitMax, settings.RateLimitInterval, settings.RateLimitHeadroom,
        settings.RateLimitDaily, settings.RateLimitDailyWindow, settings.RateLimitMaxWait);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Location {LocationId}: the API allows {Max} calls per {Interval}")]
    private partial void LogLimitLearned(string locationId, int max, TimeSpan interval);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Location {LocationId} was rate limited; every process holds its calls for {Wait}")]
    private partial void LogBlocked(string locationId, TimeSpan wait);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Debug, Message = "Location {LocationId}: next API slot is {Wait} away; the message waits in the queue")]
    private partial void LogBudgetExhausted(string locationId, TimeSpan wait);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Debug, Message = "Location {LocationId}: API slot reserved {Wait} ahead; the message waits for it in the queue")]
    private partial void LogSlotReserved(string locationId, TimeSpan wait);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning,
        Message = "Location {LocationId} has used up its daily API budget; its work waits {Wait} for the daily reset")]
    private partial void LogDailyLimitReached(string locationId, TimeSpan wait);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Debug,
        Message = "Location {LocationId}: live calls fill more than the background share {Share:P0} of the budget; the background reader waits {Wait}")]
    private partial void LogBackgroundWaits(string locationId, TimeSpan wait, double share);
}
