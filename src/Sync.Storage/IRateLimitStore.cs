namespace Sync.Storage;

/// <summary>
/// API budgets shared by every worker process: per (app, location), a fixed window with a permit count, and a block
/// set when the API answers 429. Each call is one atomic database operation, so N processes together never take more
/// than the limit in a window. Every time the state holds is the database's: "now" is read by the database in the
/// statement that decides, and every wait returned is measured from it, so processes whose clocks differ still share
/// one schedule. Durations cross the boundary, instants of a process's clock do not.
/// </summary>
public interface IRateLimitStore
{
    /// <summary>
    /// Takes <paramref name="permits"/> from the current window of (<paramref name="app"/>, <paramref name="locationId"/>)
    /// if that keeps the window within <paramref name="limit"/> and the pair is not blocked. A window starts with the first
    /// take after the previous one ended and lasts <paramref name="window"/>. When refused, says how long to wait.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permits"/> is not within 1..<paramref name="limit"/>.</exception>
    Task<RateLimitDecision> TryTakeAsync(string app, string locationId, int permits, int limit, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>
    /// Reserves the next call slot of (<paramref name="app"/>, <paramref name="locationId"/>) on a schedule shared by
    /// every process, and one call of its daily budget. Slots are <c>interval / max × (1 + headroom)</c> apart, by the
    /// limits stored with the schedule (learned from the API by any process) or else the <paramref name="budget"/>'s
    /// defaults, and never before a block ends. Granted when the slot is at most <see cref="RateLimitBudget.MaxWait"/>
    /// away and the daily window has calls left; the caller then waits <see cref="RateLimitReservation.Wait"/> before
    /// calling. Refused otherwise, with the time until the schedule frees up (for a used-up daily budget: until the
    /// daily window ends); nothing is reserved then. What <paramref name="observed"/> says is stored first, granted or not.
    /// </summary>
    Task<RateLimitReservation> ReserveAsync(
        string app, string locationId, RateLimitBudget budget, RateLimitObservation? observed, CancellationToken cancellationToken);

    /// <summary>
    /// Blocks (<paramref name="app"/>, <paramref name="locationId"/>) for <paramref name="duration"/> from the database's
    /// now (e.g. the wait a 429 asked for, measured from when the caller read it). A block only ever extends: one that
    /// would end before the current block changes nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative.</exception>
    Task BlockForAsync(string app, string locationId, TimeSpan duration, CancellationToken cancellationToken);
}

/// <summary>The answer to a slot reservation.</summary>
/// <param name="Granted">True when a slot was reserved.</param>
/// <param name="Wait">Granted: how long until the slot; refused: how long until the schedule has room.</param>
/// <param name="DailyLimitReached">Refused because the daily budget of the current window is used up.</param>
public readonly record struct RateLimitReservation(bool Granted, TimeSpan Wait, bool DailyLimitReached = false);

/// <summary>The limits a reservation is made under until the API has said otherwise, and how long it may wait.</summary>
/// <param name="Max">Calls per <paramref name="Interval"/> (the burst limit).</param>
/// <param name="Interval">The burst interval.</param>
/// <param name="Headroom">Share of the limit kept in reserve (0.02: slots 2 % further apart).</param>
/// <param name="DailyLimit">Calls per daily window.</param>
/// <param name="DailyWindow">
/// The daily window's length; windows are aligned on the Unix epoch (a day: they start at 00:00 UTC) of the database's
/// clock.
/// </param>
/// <param name="MaxWait">The longest a granted slot may be away.</param>
public sealed record RateLimitBudget(int Max, TimeSpan Interval, double Headroom, int DailyLimit, TimeSpan DailyWindow, TimeSpan MaxWait)
{
    /// <summary>
    /// The start of the daily window <paramref name="at"/> falls in. The store computes its windows in the database by
    /// the same rule; this is for a process's own estimate (logs, how long a 429 for the daily budget waits).
    /// </summary>
    public DateTimeOffset DailyWindowStart(DateTimeOffset at) =>
        DateTimeOffset.UnixEpoch + TimeSpan.FromTicks((at - DateTimeOffset.UnixEpoch).Ticks / DailyWindow.Ticks * DailyWindow.Ticks);
}

/// <summary>What an API answer said of the budget, to be stored with the schedule; null members say nothing.</summary>
/// <param name="Max">The burst limit announced.</param>
/// <param name="Interval">The burst interval announced.</param>
/// <param name="DailyLimit">The daily limit announced.</param>
/// <param name="DailyUsed">Calls of the daily window used so far (limit − remaining), as the API counts them.</param>
/// <param name="At">
/// When the answer came, by the caller's clock (the store's <see cref="TimeProvider"/>): only its age crosses to the
/// database, which decides by its own clock which daily window <paramref name="DailyUsed"/> belongs to.
/// </param>
public sealed record RateLimitObservation(int? Max, TimeSpan? Interval, int? DailyLimit, int? DailyUsed, DateTimeOffset At);

/// <summary>The answer to a request for permits.</summary>
/// <param name="Granted">True when the permits were taken.</param>
/// <param name="RetryAfter">When refused: how long until the window ends or the block lifts (zero when granted).</param>
public readonly record struct RateLimitDecision(bool Granted, TimeSpan RetryAfter);
