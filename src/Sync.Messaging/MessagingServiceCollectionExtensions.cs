using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sync.Messaging.Internal;
using Sync.Messaging.Lanes;
using Sync.Messaging.Outbox;

namespace Sync.Messaging;

/// <summary>Registers Sync's messaging on RabbitMQ.</summary>
public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a MassTransit bus on RabbitMQ configured from <c>Sync:RabbitMq</c> (usage telemetry off, publisher
    /// confirms on), <see cref="IConfirmedPublisher"/>, <see cref="WebhookHandoff"/> with its <see cref="WebhookLanes"/>
    /// (<c>Sync:Lanes</c>) and <see cref="OutboxOptions"/> (<c>Sync:Outbox</c>). The bus starts with the host without waiting for the broker, and reconnects on its own.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">Configuration holding the <c>Sync:RabbitMq</c> and <c>Sync:Outbox</c> sections.</param>
    /// <param name="configure">Adds consumers and the like; endpoints are configured by convention.</param>
    public static IServiceCollection AddSyncMessaging(
        this IServiceCollection services, IConfiguration configuration, Action<IBusRegistrationConfigurator>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RabbitMqOptions>()
            .Bind(configuration.GetSection(RabbitMqOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<OutboxOptions>()
            .Bind(configuration.GetSection(OutboxOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate<IOptions<RabbitMqOptions>>(
                (outbox, rabbit) => outbox.Lease >= 2 * rabbit.Value.PublishTimeout,
                $"{OutboxOptions.SectionName}:Lease must be at least twice {RabbitMqOptions.SectionName}:PublishTimeout: a relay's claim stays open while its batch publishes, and one the database ended early would be published again.")
            .ValidateOnStart();
        services.AddOptions<LaneOptions>()
            .Bind(configuration.GetSection(LaneOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            // Start without the broker: publishes fail fast (and spill to the outbox) until it is reachable.
            options.WaitUntilStarted = false;
            options.StopTimeout = TimeSpan.FromSeconds(10);
        });

        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            configure?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                var endpoint = options.Resolve();
                cfg.Host(endpoint.Host, endpoint.Port, endpoint.VirtualHost, h =>
                {
                    h.Username(endpoint.Username);
                    h.Password(endpoint.Password);
                    h.Heartbeat(options.Heartbeat);
                    h.RequestedConnectionTimeout(options.ConnectionTimeout);
                    h.PublisherConfirmation = true;
                    if (endpoint.UseTls)
                    {
                        h.UseSsl();
                    }
                });
                cfg.ConfigureEndpoints(context);
            });
        });

        services.TryAddSingleton<ConfirmedPublisher>();
        services.TryAddSingleton<IConfirmedPublisher, BrokerPublisher>();
        services.TryAddSingleton<PublisherCircuit>();
        services.TryAddSingleton<WebhookLanes>();
        services.TryAddSingleton<OutboxSpillWriter>();
        services.TryAddSingleton<WebhookHandoff>();
        services.AddHostedService<BrokerConnectionWatcher>();
        return services;
    }

    /// <summary>
    /// Runs an <see cref="OutboxRelay"/> in this host (unless <c>Sync:Outbox:RelayEnabled</c> is false). Needs
    /// <see cref="AddSyncMessaging"/> and the storage registration.
    /// </summary>
    public static IServiceCollection AddSyncOutboxRelay(this IServiceCollection services)
    {
        services.TryAddSingleton<PublisherCircuit>();
        services.AddHostedService<OutboxRelay>();
        return services;
    }
}
