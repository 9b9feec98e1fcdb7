using MassTransit;
using Sync.Contracts;
using Sync.Messaging.Lanes;

namespace Sync.Components.Consumers;

/// <summary>
/// The backlog lane (<see cref="WebhookLanes.BacklogQueue"/>): what a location sends beyond its budget, and imports.
/// The same consumer as the work queue's, with the same inbox, so a webhook is applied once whichever lane it took;
/// the lane has its own consumers, so it never takes the work queue's.
/// </summary>
public sealed class WebhookBacklogConsumer(WebhookReceivedConsumer consumer) : IConsumer<WebhookReceived>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<WebhookReceived> context) => consumer.Consume(context);
}
