using System.Collections.Concurrent;

namespace Sync.Sandbox.Limits;

/// <summary>
/// Burst and daily request budgets per (application, location). The burst budget is a sliding log by default (no
/// span of one interval ever holds more than the limit) or a fixed window; the daily budget resets at 00:00 UTC (or
/// at the end of each shorter daily window, when configured).
/// Refused requests do not consume budget.
/// </summary>
public sealed class RateLimiter
{
    private readonly ConcurrentDictionary<(string App, string Location), Bucket> _buckets = new();
    private readonly TimeProvider _time;
    private volatile Settings _settings;

    internal RateLimiter(SandboxRateLimitOptions options, TimeProvider time)
    {
        _time = time;
        _settings = new Settings(options.Clone(), 1);
    }

    /// <summary>A copy of the limits in force.</summary>
    public SandboxRateLimitOptions Current => _settings.Options.Clone();

    /// <summary>Replaces the limits; budgets start afresh under new burst settings (daily counts are kept).</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Set(SandboxRateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = SandboxOptionsValidator.Check(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        var current = _settings;
        _settings = new Settings(options.Clone(), current.Version + 1);
    }

    /// <summary>Forgets every budget.</summary>
    internal void Reset() => _buckets.Clear();

    /// <summary>Takes one request from the budget of (<paramref name="appId"/>, <paramref name="locationId"/>) if there is room.</summary>
    internal RateDecision Acquire(string appId, string locationId)
    {
        var settings = _settings;
        var options = settings.Options;
        if (!options.Enabled)
        {
            return RateDecision.Unlimited;
        }

        var bucket = _buckets.GetOrAdd((appId, locationId), static _ => new Bucket());
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (bucket)
        {
            return bucket.Acquire(settings, now);
        }
    }

    /// <summary>The decision to report for a 429 forced by fault injection: the budget as it stands, none remaining.</summary>
    internal RateDecision Refused(string appId, string locationId)
    {
        var options = _settings.Options;
        var daily = options.DailyLimit;
        if (options.Enabled && _buckets.TryGetValue((appId, locationId), out var bucket))
        {
            lock (bucket)
            {
                daily = Math.Max(0, options.DailyLimit - bucket.DailyCount);
            }
        }

        return new RateDecision(false, true, options.BurstLimit, 0, options.BurstIntervalMilliseconds, options.DailyLimit, daily,
            options.BurstIntervalMilliseconds, options.SendResetHeaders);
    }

    internal bool SendResetHeaders => _settings.Options.SendResetHeaders;

    internal int BulkTagsMaxContacts => _settings.Options.BulkTagsMaxContacts;

    private sealed record Settings(SandboxRateLimitOptions Options, int Version);

    private sealed class Bucket
    {
        private long[] _log = [];
        private int _head;
        private int _count;
        private int _version;
        private long _windowStart;
        private long _day = -1;

        public int DailyCount { get; private set; }

        public RateDecision Acquire(Settings settings, long now)
        {
            var options = settings.Options;
            var max = options.BurstLimit;
            var interval = options.BurstIntervalMilliseconds;
            if (_version != settings.Version)
            {
                _version = settings.Version;
                _log = options.Window == RateLimitWindow.Sliding ? new long[max] : [];
                _head = 0;
                _count = 0;
                _windowStart = now;
            }

            var dayLength = options.DailyWindowSeconds * 1000L;
            var day = now / dayLength;
            if (day != _day)
            {
                _day = day;
                DailyCount = 0;
            }

            int inWindow;
            long resetMs;
            if (options.Window == RateLimitWindow.Sliding)
            {
                var expired = FirstInWindow(now - interval);
                inWindow = _count - expired;
                resetMs = inWindow == 0 ? interval : At(expired) + interval - now;
            }
            else
            {
                if (now - _windowStart >= interval)
                {
                    _windowStart = now;
                    _count = 0;
                }

                inWindow = _count;
                resetMs = _windowStart + interval - now;
            }

            var dailyLeft = options.DailyLimit - DailyCount;
            if (inWindow >= max || dailyLeft <= 0)
            {
                var reset = dailyLeft <= 0 ? (day + 1) * dayLength - now : resetMs;
                return new RateDecision(false, true, max, Math.Max(0, max - inWindow), interval, options.DailyLimit, Math.Max(0, dailyLeft),
                    Math.Max(1, reset), options.SendResetHeaders);
            }

            if (options.Window == RateLimitWindow.Sliding)
            {
                if (_count < _log.Length)
                {
                    _log[(_head + _count) % _log.Length] = now;
                    _count++;
                }
                else
                {
                    _log[_head] = now;
                    _head = (_head + 1) % _log.Length;
                }
            }
            else
            {
                _count++;
            }

            DailyCount++;
            return new RateDecision(true, true, max, max - inWindow - 1, interval, options.DailyLimit, dailyLeft - 1,
                Math.Max(1, resetMs), options.SendResetHeaders);
        }

        private long At(int logical) => _log[(_head + logical) % _log.Length];

        /// <summary>Logical index of the first logged request later than <paramref name="boundary"/> (the log is in time order).</summary>
        private int FirstInWindow(long boundary)
        {
            int lo = 0, hi = _count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (At(mid) <= boundary)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}

/// <summary>The outcome of a budget check and the values of the rate-limit headers.</summary>
internal readonly record struct RateDecision(
    bool Allowed,
    bool Enabled,
    int Max,
    int Remaining,
    int IntervalMilliseconds,
    int DailyLimit,
    int DailyRemaining,
    long ResetMilliseconds,
    bool SendResetHeaders)
{
    public static RateDecision Unlimited => new(true, false, 0, 0, 0, 0, 0, 0, false);
}
