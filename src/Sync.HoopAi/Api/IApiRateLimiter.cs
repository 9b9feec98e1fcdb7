namespace Sync.HoopAi.Api;

/// <summary>Keeps a location's API calls within its budget, across every process.</summary>
public interface IApiRateLimiter
{
    /// <summary>Waits until one more call for <paramref name="locationId"/> fits the budget, then takes it.</summary>
    /// <exception cref="Core.SyncFailureException">
    /// <see cref="Core.FailureKind.Throttled"/>: the budget has no room soon enough (the burst schedule, a block after a
    /// 429, or a used-up daily limit); its <see cref="Core.SyncFailureException.RetryAfter"/> says how long to wait.
    /// </exception>
    ValueTask AcquireAsync(string locationId, CancellationToken cancellationToken);

    /// <summary>
    /// Takes one call for a background reader that may use only <paramref name="budgetShare"/> (above 0, below 1) of the
    /// location's burst budget, leaving the rest to live traffic: it waits until the calls already scheduled for the
    /// location (by every process) fill less than that share of one burst interval, and paces its own calls to that share
    /// of the limit. It waits for the burst schedule rather than failing; a used-up daily budget still fails as
    /// <see cref="Core.FailureKind.Throttled"/>.
    /// </summary>
    ValueTask AcquireAsync(string locationId, double budgetShare, CancellationToken cancellationToken);

    /// <summary>Learns from a response's rate-limit headers (the API announces the limits in force).</summary>
    void Observe(string locationId, RateLimitSnapshot snapshot);

    /// <summary>
    /// The API answered 429 with <paramref name="snapshot"/>'s headers: holds every process's calls for the location for
    /// the wait the headers ask for (or, when they say nothing, a wait that grows with each such 429 up to the burst
    /// interval), and returns that wait.
    /// </summary>
    Task<TimeSpan> OnRateLimitedAsync(string locationId, RateLimitSnapshot snapshot, CancellationToken cancellationToken);
}
