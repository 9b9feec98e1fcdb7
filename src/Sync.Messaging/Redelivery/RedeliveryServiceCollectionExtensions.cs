using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sync.Messaging.Redelivery;

namespace Sync.Messaging;


/// <summary>Registration of the plugin-free redelivery policy.</summary>
public static class RedeliveryServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="RedeliveryPolicyOptions"/> (section <c>Sync:Redelivery</c>, validated at start), the
    /// forwarder, and the hosted service that declares the wait and poison queues. Call it before <c>AddMassTransit</c>
    /// so the queues exist before the bus starts consuming.
    /// </summary>
    public static IServiceCollection AddSyncRedelivery(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RedeliveryPolicyOptions>()
            .Bind(configuration.GetSection(RedeliveryPolicyOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<RedeliveryForwarder>();
        services.TryAddSingleton<ErrorQueueDeclarer>();
        services.AddHostedService<RedeliveryTopologyInitializer>();
        return services;
    }
}
