namespace Sync.Storage;

/// <summary>
/// API budgets shared by every worker process: per (app, location), a fixed window with a permit count, and a block
/// set when the API answers 429. Each call is one atomic database operation, so N processes together never take more
/// than the limit in a window.
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
    /// every process: slots are <paramref name="spacing"/> apart and never before a block ends. Granted when the slot is
    /// at most <paramref name="maxWait"/> away; the caller then waits <see cref="RateLimitReservation.Wait"/> before
    /// calling. Refused otherwise, with the time until the schedule frees up; nothing is reserved then.
    /// </summary>
    Task<RateLimitReservation> ReserveAsync(string app, string locationId, TimeSpan spacing, TimeSpan maxWait, CancellationToken cancellationToken);

    /// <summary>
    /// Blocks (<paramref name="app"/>, <paramref name="locationId"/>) until <paramref name="until"/> (e.g. the reset a 429
    /// announced). A block only ever extends: an earlier <paramref name="until"/> than the current block changes nothing.
    /// </summary>
    Task BlockUntilAsync(string app, string locationId, DateTimeOffset until, CancellationToken cancellationToken);
}

/// <summary>The answer to a slot reservation.</summary>
/// <param name="Granted">True when a slot was reserved.</param>
/// <param name="Wait">Granted: how long until the slot; refused: how long until the schedule has room.</param>
public readonly record struct RateLimitReservation(bool Granted, TimeSpan Wait);

/// <summary>The answer to a request for permits.</summary>
/// <param name="Granted">True when the permits were taken.</param>
/// <param name="RetryAfter">When refused: how long until the window ends or the block lifts (zero when granted).</param>
public readonly record struct RateLimitDecision(bool Granted, TimeSpan RetryAfter);
