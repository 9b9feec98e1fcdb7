using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sync.Messaging.DeadLetters;

/// <summary>Registers dead-letter collection (worker) and operations (CLI, admin API).</summary>
public static class DeadLetterServiceCollectionExtensions
{
    /// <summary>
    /// The collector as a hosted service, with <see cref="DeadLetterOptions"/> from <c>Sync:DeadLetters</c>. Needs the
    /// storage and <c>Sync:RabbitMq</c> (registered by the worker).
    /// </summary>
    public static IServiceCollection AddSyncDeadLetterCollector(this IServiceCollection services, IConfiguration configuration)
    {
        AddOptions(services, configuration);
        services.AddHostedService<DeadLetterCollector>();
        return services;
    }

    /// <summary>
    /// <see cref="DeadLetterOperations"/> and what it needs besides storage: <c>Sync:RabbitMq</c> options (for queue
    /// depths) and a clock. No bus: replays go through the outbox, which the workers' relays publish.
    /// </summary>
    public static IServiceCollection AddSyncDeadLetterOperations(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AddOptions(services, configuration);
        services.AddOptions<RabbitMqOptions>()
            .Bind(configuration.GetSection(RabbitMqOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BrokerQueueInspector>();
        services.TryAddSingleton<DeadLetterOperations>();
        return services;
    }

    private static void AddOptions(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DeadLetterOptions>()
            .Bind(configuration.GetSection(DeadLetterOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }
}
