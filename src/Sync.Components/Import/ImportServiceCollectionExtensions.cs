using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Sync.Components.Import;

/// <summary>Registers the import and the snapshot comparison.</summary>
public static class ImportServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ContactImporter"/> and <see cref="SnapshotComparer"/>. Needs storage and, for the comparison,
    /// the API client (<c>AddSyncHoopAiClient</c>).
    /// </summary>
    public static IServiceCollection AddSyncImport(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ContactImporter>();

        // Transient like the typed HttpClient it uses.
        services.TryAddTransient<SnapshotComparer>();
        return services;
    }
}
