using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sync.Messaging.Redelivery;

/// <summary>Sync's policy for every work queue: what its queue is and what happens when its consumer fails.</summary>
public static class WorkQueuePolicy
{
    /// <summary>The exchange and quorum queue that receive messages a work queue gave up on after its delivery limit.</summary>
    public const string PoisonQueue = "sync-poison";

    /// <summary>
    /// Makes the endpoint's queue a quorum queue with a delivery limit whose overflow dead-letters (at least once) to
    /// <see cref="PoisonQueue"/>, so a message that crashes its consumer process cannot loop forever; then, in the
    /// consume pipe, the classified redelivery filter (immediate retries, then the wait queues, then the error queue).
    /// </summary>
    public static void ApplySyncWorkQueuePolicy(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(context);
        var options = context.GetRequiredService<IOptions<RedeliveryPolicyOptions>>().Value;
        if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
            foreach (var (key, value) in QueueArguments(options))
            {
                rabbit.SetQueueArgument(key, value);
            }
        }

        // Failures end in Sync's dead-letter store, not in Fault<T> events nobody subscribes to; a failure that could not
        // be moved leaves the message in its queue.
        endpoint.PublishFaults = false;
        endpoint.ConfigureError(x => x.UseFilter(new SyncErrorTransportFilter()));
        endpoint.UseConsumeFilter(typeof(ClassifiedRedeliveryFilter<>), context);

        // Work that calls the API pauses while the API's circuit is open (where the worker's kill switch runs).
        context.GetService<Circuits.ApiCircuitSupervisor>()?.Watch(endpoint.InputAddress.AbsolutePath.TrimEnd('/').Split('/')[^1]);
    }

    /// <summary>The arguments every work queue is declared with (besides <c>x-queue-type=quorum</c>).</summary>
    public static IReadOnlyDictionary<string, object> QueueArguments(RedeliveryPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new Dictionary<string, object>
        {
            ["x-delivery-limit"] = options.DeliveryLimit,
            ["x-dead-letter-exchange"] = PoisonQueue,
            ["x-dead-letter-strategy"] = "at-least-once",
            ["x-overflow"] = "reject-publish",
        };
    }
}
