using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Sync.Contracts;

namespace Sync.Messaging.Lanes;

/// <summary>The queue a webhook is handed to.</summary>
public enum WebhookLane
{
    /// <summary><c>webhook-received</c>: what each location sends within its budget.</summary>
    Work,

    /// <summary><c>webhook-received-backlog</c>: what a location sends beyond its budget.</summary>
    Backlog,
}

/// <summary>
/// Chooses the lane of each webhook by its location's arrival rate: a token bucket per location of
/// <see cref="LaneOptions.Burst"/> tokens refilled at <see cref="LaneOptions.EventsPerSecond"/>; a webhook that finds a
/// token goes to the work queue, one that does not to the backlog lane. Webhooks without a location always go to the
/// work queue. The state is per process: with N ingress processes a location may put up to N bursts in the work queue.
/// Both lanes are consumed by the same consumer with the same inbox, so which lane a webhook took never changes what
/// it does, only when: the staleness guard keeps the order of effects.
/// </summary>
public sealed class WebhookLanes
{
    /// <summary>The work queue: what each location sends within its budget, and messages back from the tiers holding an API slot.</summary>
    public const string WorkQueue = "webhook-received";

    /// <summary>The backlog lane's quorum queue (and the fanout exchange of the same name bound to it).</summary>
    public const string BacklogQueue = "webhook-received-backlog";

    /// <summary>Where a publisher sends a webhook of the backlog lane: the lane's own exchange, reaching that queue alone.</summary>
    public const string BacklogDestination = "exchange:" + BacklogQueue + "?type=fanout";

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly LaneOptions _options;
    private readonly TimeProvider _time;
    private int _pruning;

    /// <summary>Creates the chooser.</summary>
    public WebhookLanes(IOptions<LaneOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>Locations whose rate is kept now.</summary>
    public int TrackedLocations => _buckets.Count;

    /// <summary>The lane of <paramref name="message"/>; takes one token of its location when it goes to the work queue.</summary>
    public WebhookLane Choose(WebhookReceived message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_options.Enabled || string.IsNullOrEmpty(message.LocationId))
        {
            return WebhookLane.Work;
        }

        var now = _time.GetUtcNow().UtcTicks;
        var bucket = _buckets.GetOrAdd(message.LocationId, static (_, state) => new Bucket(state.Burst, state.Now), (Burst: _options.Burst, Now: now));
        var lane = bucket.TryTake(now, _options.Burst, _options.EventsPerSecond, TimeSpan.TicksPerSecond) ? WebhookLane.Work : WebhookLane.Backlog;
        if (_buckets.Count > _options.MaxTrackedLocations)
        {
            Prune(now);
        }

        return lane;
    }

    /// <summary>The publisher destination of <paramref name="lane"/>: "publish" (the message type's exchange) or the backlog lane's exchange.</summary>
    public static string DestinationOf(WebhookLane lane) =>
        lane == WebhookLane.Backlog ? BacklogDestination : Outbox.OutboxSerializer.PublishDestination;

    private void Prune(long now)
    {
        if (Interlocked.Exchange(ref _pruning, 1) == 1)
        {
            return;
        }

        try
        {
            // Down to nine tenths of the maximum, so pruning is rare: first the locations back at a full bucket
            // (forgetting them changes nothing), then those owing the least, longest idle first. A busy location's debt
            // is the last thing forgotten, since forgetting it would hand it a fresh burst.
            var target = _options.MaxTrackedLocations * 9 / 10;
            foreach (var (location, bucket) in _buckets)
            {
                if (bucket.Tokens(now, _options.Burst, _options.EventsPerSecond, TimeSpan.TicksPerSecond) >= _options.Burst)
                {
                    _buckets.TryRemove(location, out _);
                }
            }

            var excess = _buckets.Count - target;
            if (excess > 0)
            {
                var forget = _buckets
                    .Select(b => (b.Key, Tokens: b.Value.Tokens(now, _options.Burst, _options.EventsPerSecond, TimeSpan.TicksPerSecond), b.Value.LastSeen))
                    .OrderByDescending(b => b.Tokens)
                    .ThenBy(b => b.LastSeen)
                    .Take(excess)
                    .ToList();
                foreach (var (location, _, _) in forget)
                {
                    _buckets.TryRemove(location, out _);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _pruning, 0);
        }
    }

    private sealed class Bucket(double tokens, long at)
    {
        private readonly Lock _gate = new();
        private double _tokens = tokens;
        private long _at = at;

        public long LastSeen => Volatile.Read(ref _at);

        public bool TryTake(long now, int burst, double perSecond, long frequency)
        {
            lock (_gate)
            {
                Refill(now, burst, perSecond, frequency);
                if (_tokens < 1)
                {
                    return false;
                }

                _tokens -= 1;
                return true;
            }
        }

        public double Tokens(long now, int burst, double perSecond, long frequency)
        {
            lock (_gate)
            {
                Refill(now, burst, perSecond, frequency);
                return _tokens;
            }
        }

        private void Refill(long now, int burst, double perSecond, long frequency)
        {
            if (now > _at)
            {
                _tokens = Math.Min(burst, _tokens + ((now - _at) / (double)frequency * perSecond));
                _at = now;
            }
        }
    }
}
