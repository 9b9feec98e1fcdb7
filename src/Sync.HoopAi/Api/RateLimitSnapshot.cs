using System.Globalization;
using System.Net.Http.Headers;

namespace Sync.HoopAi.Api;

/// <summary>
/// What an API response says of the caller's budget: the five <c>X-RateLimit-*</c> headers the API documents, and
/// <c>X-RateLimit-Reset</c> / <c>Retry-After</c> when present (they are not documented; honoured when sent).
/// </summary>
public sealed record RateLimitSnapshot(
    int? Max,
    int? Remaining,
    TimeSpan? Interval,
    int? DailyLimit,
    int? DailyRemaining,
    TimeSpan? RetryAfter)
{
    /// <summary>Reads the headers of a response; missing or malformed headers are null.</summary>
    public static RateLimitSnapshot From(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var interval = Int(headers, "X-RateLimit-Interval-Milliseconds") is { } ms and > 0 ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        return new RateLimitSnapshot(
            Int(headers, "X-RateLimit-Max"),
            Int(headers, "X-RateLimit-Remaining"),
            interval,
            Int(headers, "X-RateLimit-Limit-Daily"),
            Int(headers, "X-RateLimit-Daily-Remaining"),
            RetryAfterOf(headers, now));
    }

    /// <summary>How long a 429 asks to wait: <c>Retry-After</c>, else <c>X-RateLimit-Reset</c>, else the burst interval, else null.</summary>
    public TimeSpan? WaitAfterRateLimit => RetryAfter ?? Interval;

    private static TimeSpan? RetryAfterOf(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retryAfter.Date is { } date)
            {
                return date > now ? date - now : TimeSpan.Zero;
            }
        }

        // X-RateLimit-Reset: seconds to wait, or a Unix time (seconds or milliseconds) of the reset.
        if (Long(headers, "X-RateLimit-Reset") is { } reset and >= 0)
        {
            if (reset > 1_000_000_000_000)
            {
                return Clamp(DateTimeOffset.FromUnixTimeMilliseconds(reset) - now);
            }

            if (reset > 1_000_000_000)
            {
                return Clamp(DateTimeOffset.FromUnixTimeSeconds(reset) - now);
            }

            return TimeSpan.FromSeconds(reset);
        }

        return null;
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait;

    private static int? Int(HttpResponseHeaders headers, string name) =>
        Long(headers, name) is { } value and >= int.MinValue and <= int.MaxValue ? (int)value : null;

    private static long? Long(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) &&
        long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}
