using MassTransit;
using Microsoft.Extensions.Options;
using Sync.Contracts;
using Sync.Messaging.Lanes;

namespace Sync.Components.Consumers;

/// <summary>The <c>webhook-received</c> endpoint: concurrency and prefetch from <see cref="WorkerOptions"/>.</summary>
public sealed class WebhookReceivedConsumerDefinition : ConsumerDefinition<WebhookReceivedConsumer>
{
    private readonly WorkerOptions _options;

    /// <summary>Creates the definition.</summary>
    public WebhookReceivedConsumerDefinition(IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        EndpointName = WebhookLanes.WorkQueue;
        ConcurrentMessageLimit = _options.WebhookConcurrency;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WebhookReceivedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.PrefetchCount = Math.Max(_options.WebhookPrefetch, _options.WebhookConcurrency);
    }
}

/// <summary>
/// The backlog lane's endpoint (<see cref="WebhookLanes.BacklogQueue"/>): its own concurrency and prefetch from
/// <see cref="WorkerOptions"/>, and not bound to the <see cref="WebhookReceived"/> exchange (publishers send to the lane
/// on purpose; a binding would deliver every published webhook twice).
/// </summary>
public sealed class WebhookBacklogConsumerDefinition : ConsumerDefinition<WebhookBacklogConsumer>
{
    private readonly WorkerOptions _options;

    /// <summary>Creates the definition.</summary>
    public WebhookBacklogConsumerDefinition(IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        EndpointName = WebhookLanes.BacklogQueue;
        ConcurrentMessageLimit = _options.BacklogConcurrency;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WebhookBacklogConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.ConfigureConsumeTopology = false;
        endpointConfigurator.PrefetchCount = Math.Max(_options.BacklogPrefetch, _options.BacklogConcurrency);
    }
}

/// <summary>
/// The <c>change-contact-tags</c> endpoint: batches grouped by location, sized to the bulk call, and a window
/// (<see cref="WorkerOptions.TagBatchPrefetch"/>) large enough that several busy locations' batches fill at once.
/// </summary>
public sealed class ChangeContactTagsConsumerDefinition : ConsumerDefinition<ChangeContactTagsConsumer>
{
    private readonly WorkerOptions _options;

    /// <summary>Creates the definition.</summary>
    public ChangeContactTagsConsumerDefinition(IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        EndpointName = "change-contact-tags";
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ChangeContactTagsConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        ArgumentNullException.ThrowIfNull(consumerConfigurator);
        var batch = _options.TagBatchMessageLimit;
        var concurrency = _options.TagBatchConcurrency;
        var window = Math.Max(_options.TagBatchPrefetch, batch * (concurrency + 1));
        endpointConfigurator.PrefetchCount = window;
        endpointConfigurator.ConcurrentMessageLimit = window;
        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(batch)
            .SetTimeLimit(_options.TagBatchTimeLimit)
            .SetTimeLimitStart(BatchTimeLimitStart.FromLast)
            .SetConcurrencyLimit(concurrency)
            .GroupBy<ChangeContactTags, string>(m => m.Message.LocationId));
    }
}
