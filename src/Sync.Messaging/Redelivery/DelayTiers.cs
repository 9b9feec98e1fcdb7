namespace Sync.Messaging.Redelivery;

/// <summary>
/// The fixed delays RabbitMQ can hold a message for without a plugin: one durable wait queue per tier, with a
/// queue-wide TTL, dead-lettering back to the queue named by the message's routing key. A requested delay rounds up to
/// the next tier (a per-message TTL would block behind longer ones at the head of a queue).
/// </summary>
public sealed class DelayTiers
{
    /// <summary>The default tiers: 1 s doubling to 1,024 s (about 17 minutes).</summary>
    public static readonly IReadOnlyList<TimeSpan> Default =
        [.. Enumerable.Range(0, 11).Select(i => TimeSpan.FromSeconds(1 << i))];

    /// <summary>Creates the tier set; delays are whole seconds, distinct, and sorted.</summary>
    public DelayTiers(IEnumerable<TimeSpan> delays)
    {
        ArgumentNullException.ThrowIfNull(delays);
        var sorted = delays.Distinct().Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("At least one delay tier is needed.", nameof(delays));
        }

        if (sorted.Any(d => d < TimeSpan.FromSeconds(1) || d.Ticks % TimeSpan.TicksPerSecond != 0))
        {
            throw new ArgumentException("Delay tiers are whole seconds, at least 1 s.", nameof(delays));
        }

        Delays = sorted;
    }

    /// <summary>The tiers, shortest first.</summary>
    public IReadOnlyList<TimeSpan> Delays { get; }

    /// <summary>The shortest tier at least as long as <paramref name="delay"/>; the longest tier when none is.</summary>
    public TimeSpan RoundUp(TimeSpan delay)
    {
        foreach (var tier in Delays)
        {
            if (tier >= delay)
            {
                return tier;
            }
        }

        return Delays[^1];
    }

    /// <summary>The longest tier at most <paramref name="delay"/>; null when even the shortest is longer.</summary>
    public TimeSpan? RoundDown(TimeSpan delay)
    {
        TimeSpan? found = null;
        foreach (var tier in Delays)
        {
            if (tier > delay)
            {
                break;
            }

            found = tier;
        }

        return found;
    }

    /// <summary>
    /// The tier a message waiting for an API slot <paramref name="left"/> away goes through next, or null when it should
    /// run now and wait the rest in its consumer. A message runs now once the slot is at most
    /// <paramref name="nearEnough"/> away; otherwise it takes the longest tier that brings it back at least a fifth of
    /// <paramref name="nearEnough"/> (200 ms by default) before the slot, so the broker's own delays (the wait queue's
    /// expiry, the hop back) do not make it miss the slot, as a hop that landed right on the slot did. It runs now too
    /// when no tier is that short: it then waits less than 1.2 times <paramref name="nearEnough"/> in its consumer.
    /// </summary>
    public TimeSpan? HopTowardsSlot(TimeSpan left, TimeSpan nearEnough) =>
        left <= nearEnough ? null : RoundDown(left - (nearEnough / 5));

    /// <summary>The name of a tier's exchange and wait queue, e.g. <c>sync-delay-4s</c>.</summary>
    public static string NameOf(TimeSpan tier) => $"sync-delay-{(long)tier.TotalSeconds}s";
}
