namespace Sync.HoopAi.Api;

/// <summary>The API budget of each location, shared by every process that calls the API.</summary>
public interface IApiRateLimiter
{
    /// <summary>Waits until one more call for <paramref name="locationId"/> fits the budget, then takes it.</summary>
    ValueTask AcquireAsync(string locationId, CancellationToken cancellationToken);

    /// <summary>Learns from a response's rate-limit headers (the API announces the limits in force).</summary>
    void Observe(string locationId, RateLimitSnapshot snapshot);

    /// <summary>The API answered 429: holds every process's calls for the location for <paramref name="wait"/>.</summary>
    Task OnRateLimitedAsync(string locationId, TimeSpan wait, CancellationToken cancellationToken);
}
