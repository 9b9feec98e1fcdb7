using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Consumers;
using Sync.Components.Reconcile;
using Sync.HoopAi;
using Sync.Messaging;
using Sync.Messaging.Circuits;
using Sync.Messaging.DeadLetters;
using Sync.Messaging.Observability;
using Sync.Messaging.Redelivery;
using Sync.Storage;

namespace Sync.Components;

/// <summary>Registers the worker: storage, the API client, the consumers on their work queues, and the outbox relay.</summary>
public static class WorkerServiceCollectionExtensions
{
    /// <summary>
    /// Everything a worker process runs: storage (<c>Sync:Storage</c>), the HoopAI client (<c>Sync:HoopAi</c>), the
    /// redelivery policy (<c>Sync:Redelivery</c>), the consumers (<c>Sync:Worker</c>) on quorum work queues named in
    /// kebab case, the bus (<c>Sync:RabbitMq</c>) and the outbox relay (<c>Sync:Outbox</c>). Scale out by running more
    /// worker processes: they share the queues, the database and the per-location API budget.
    /// </summary>
    public static IServiceCollection AddSyncWorker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<WorkerOptions>()
            .Bind(configuration.GetSection(WorkerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSyncStorage(configuration);
        services.AddSyncHoopAi(configuration);
        services.AddSyncHoopAiClient();
        services.AddSingleton<LocationLifecycle>();
        services.AddSingleton<UpsertBatcher>();

        // Before the bus: the wait and poison queues exist before any consumer can fail.
        services.AddSyncRedelivery(configuration);
        services.AddSyncMessaging(configuration, x =>
        {
            x.SetKebabCaseEndpointNameFormatter();
            x.AddConsumer<WebhookReceivedConsumer, WebhookReceivedConsumerDefinition>();
            x.AddConsumer<WebhookBacklogConsumer, WebhookBacklogConsumerDefinition>();
            x.AddConsumer<ChangeContactTagsConsumer, ChangeContactTagsConsumerDefinition>();
            x.AddConfigureEndpointsCallback((context, _, endpoint) => endpoint.ApplySyncWorkQueuePolicy(context));
        });
        services.AddReceiveObserver<StageReceiveObserver>();
        services.AddSyncOutboxRelay();
        services.AddSyncDeadLetterCollector(configuration);

        // Rebuilding the contact index from the CRM on a schedule (off unless Sync:Reconcile:Enabled).
        services.AddSyncReconcileSchedule(configuration);

        // The kill switch: work queues pause while the API's circuit is open, and the worker's health shows it.
        services.AddSingleton<ApiCircuitSupervisor>();
        services.AddHostedService(provider => provider.GetRequiredService<ApiCircuitSupervisor>());
        services.AddReceiveEndpointObserver(provider => provider.GetRequiredService<ApiCircuitSupervisor>());
        services.AddHealthChecks().AddCheck<ApiCircuitHealthCheck>("hoopai-circuits", tags: ["ready"]);
        services.AddHostedService<CircuitStateRecorder>();
        return services;
    }
}
