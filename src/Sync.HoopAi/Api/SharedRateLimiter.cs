using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.Storage;

namespace Sync.HoopAi.Api;

/// <summary>
/// Paces each location's calls across every worker process with one shared schedule in the database (a generic cell
/// rate algorithm): every call reserves the next free slot, <c>interval / max</c> apart, so the calls of all processes
/// together stay within the limit in any window, sliding or fixed. The limit is learned from the API's headers; a 429
/// pushes the location's schedule past the reset, so no process calls it until then. A slot too far away is not
/// waited for: the call fails as rate limited and its message waits in the queue's tiers instead of holding a consumer.
/// </summary>
public sealed partial class SharedRateLimiter(
    IRateLimitStore store,
    IOptions<HoopAiOptions> options,
    TimeProvider time,
    ILogger<SharedRateLimiter> logger) : IApiRateLimiter
{
    private readonly ConcurrentDictionary<string, (int Max, TimeSpan Interval)> _learned = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async ValueTask AcquireAsync(string locationId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.RateLimitEnabled)
        {
            return;
        }

        var (max, interval) = _learned.GetValueOrDefault(locationId, (settings.RateLimitMax, settings.RateLimitInterval));
        var spacing = interval / max * (1 + settings.RateLimitHeadroom);
        var reservation = await store.ReserveAsync(settings.AppId, locationId, spacing, settings.RateLimitMaxWait, cancellationToken);
        if (!reservation.Granted)
        {
            LogBudgetExhausted(locationId, reservation.Wait);
            throw new SyncFailureException(FailureKind.RateLimited,
                $"Location {locationId} has no API budget for {reservation.Wait}; the call waits in the queue.", reservation.Wait);
        }

        if (reservation.Wait > TimeSpan.Zero)
        {
            await Task.Delay(reservation.Wait, time, cancellationToken);
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
    }

    /// <inheritdoc />
    public async Task OnRateLimitedAsync(string locationId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var until = time.GetUtcNow() + wait;
        await store.BlockUntilAsync(options.Value.AppId, locationId, until, cancellationToken);
        LogBlocked(locationId, until);
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Location {LocationId}: the API allows {Max} calls per {Interval}")]
    private partial void LogLimitLearned(string locationId, int max, TimeSpan interval);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Location {LocationId} was rate limited; every process holds its calls until {Until:O}")]
    private partial void LogBlocked(string locationId, DateTimeOffset until);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Debug, Message = "Location {LocationId}: next API slot is {Wait} away; the message waits in the queue")]
    private partial void LogBudgetExhausted(string locationId, TimeSpan wait);
}
