using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sync.Components.Reconcile;

/// <summary>Registers reconcile.</summary>
public static class ReconcileServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ReconcileOptions"/> from <c>Sync:Reconcile</c> (validated at start) and registers
    /// <see cref="ContactReconciler"/>. Needs storage and the API client (<c>AddSyncHoopAiClient</c>).
    /// </summary>
    public static IServiceCollection AddSyncReconciler(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ReconcileOptions>()
            .Bind(configuration.GetSection(ReconcileOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        // Transient like the typed HttpClient it uses, so a long-lived scheduler does not pin one handler forever.
        services.TryAddTransient<ContactReconciler>();
        return services;
    }

    /// <summary>
    /// <see cref="AddSyncReconciler"/> and the worker's schedule (<see cref="ReconcileScheduler"/>), which does nothing
    /// unless <c>Sync:Reconcile:Enabled</c>.
    /// </summary>
    public static IServiceCollection AddSyncReconcileSchedule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSyncReconciler(configuration);
        services.AddHostedService<ReconcileScheduler>();
        return services;
    }
}
