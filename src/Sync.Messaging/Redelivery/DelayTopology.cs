using RabbitMQ.Client;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// Declares the wait queues of the delay tiers: per tier a durable fanout exchange and a quorum queue with a queue-wide
/// TTL that dead-letters expired messages to the default exchange under their own routing key, i.e. straight back to
/// the work queue they were forwarded from. At-least-once dead-lettering (which needs <c>overflow=reject-publish</c>)
/// keeps a message in the wait queue until the work queue has confirmed it.
/// </summary>
public static class DelayTopology
{
    /// <summary>Declares every tier; idempotent, as long as no tier was declared before with other arguments.</summary>
    public static async Task DeclareAsync(IChannel channel, DelayTiers tiers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(tiers);
        foreach (var tier in tiers.Delays)
        {
            var name = DelayTiers.NameOf(tier);
            await channel.ExchangeDeclareAsync(name, ExchangeType.Fanout, durable: true, autoDelete: false,
                cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
                arguments: WaitQueueArguments(tier), cancellationToken: cancellationToken);
            await channel.QueueBindAsync(name, name, routingKey: "", cancellationToken: cancellationToken);
        }
    }

    /// <summary>The arguments of a tier's wait queue.</summary>
    public static IDictionary<string, object?> WaitQueueArguments(TimeSpan tier) => new Dictionary<string, object?>
    {
        ["x-queue-type"] = "quorum",
        ["x-message-ttl"] = (long)tier.TotalMilliseconds,
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-strategy"] = "at-least-once",
        ["x-overflow"] = "reject-publish",
    };
}
