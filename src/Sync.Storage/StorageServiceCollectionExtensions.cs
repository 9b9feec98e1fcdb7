using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sync.Storage.Internal;

namespace Sync.Storage;

/// <summary>Registers Sync's storage.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the stores (<see cref="IInboxStore"/>, <see cref="IOutboxStore"/>, <see cref="IInstallationStore"/>,
    /// <see cref="ITokenKeyRotator"/>, <see cref="IContactIndexStore"/>, <see cref="IDeadLetterStore"/>,
    /// <see cref="IRateLimitStore"/>, <see cref="ICircuitStateStore"/>, <see cref="IOperationalStatusReader"/>), <see cref="ITokenProtector"/>, <see cref="IUnitOfWorkFactory"/> and <see cref="IDatabaseMigrator"/> for the
    /// provider named in the <c>Sync:Storage</c> section of <paramref name="configuration"/>, validates that section when
    /// the host starts, and migrates the schema before any hosted service starts when
    /// <see cref="StorageOptions.MigrateOnStart"/> is set.
    /// </summary>
    public static IServiceCollection AddSyncStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName));
        return services.AddSyncStorageCore();
    }

    /// <summary>As <see cref="AddSyncStorage(IServiceCollection, IConfiguration)"/>, with the options set in code.</summary>
    public static IServiceCollection AddSyncStorage(this IServiceCollection services, Action<StorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<StorageOptions>().Configure(configure);
        return services.AddSyncStorageCore();
    }

    private static IServiceCollection AddSyncStorageCore(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<StorageDatabase>();
        services.TryAddSingleton<TokenCipher>();
        services.TryAddSingleton<ITokenProtector, TokenProtector>();
        services.TryAddSingleton<IUnitOfWorkFactory, UnitOfWorkFactory>();
        services.TryAddSingleton<IDatabaseMigrator, DatabaseMigrator>();

        services.TryAddSingleton<IInboxStore>(sp => ForProvider<IInboxStore, SqlServerInboxStore, PostgreSqlInboxStore>(sp));
        services.TryAddSingleton<IOutboxStore>(sp => ForProvider<IOutboxStore, SqlServerOutboxStore, PostgreSqlOutboxStore>(sp));
        services.TryAddSingleton<InstallationStore>(sp => ForProvider<InstallationStore, SqlServerInstallationStore, PostgreSqlInstallationStore>(sp));
        services.TryAddSingleton<IInstallationStore>(sp => sp.GetRequiredService<InstallationStore>());
        services.TryAddSingleton<ITokenKeyRotator>(sp => sp.GetRequiredService<InstallationStore>());
        services.TryAddSingleton<IContactIndexStore>(sp => ForProvider<IContactIndexStore, SqlServerContactIndexStore, PostgreSqlContactIndexStore>(sp));
        services.TryAddSingleton<IDeadLetterStore>(sp => ForProvider<IDeadLetterStore, SqlServerDeadLetterStore, PostgreSqlDeadLetterStore>(sp));
        services.TryAddSingleton<IRateLimitStore>(sp => ForProvider<IRateLimitStore, SqlServerRateLimitStore, PostgreSqlRateLimitStore>(sp));
        services.TryAddSingleton<IReconcileRunStore>(sp => ForProvider<IReconcileRunStore, SqlServerReconcileRunStore, PostgreSqlReconcileRunStore>(sp));
        services.TryAddSingleton<IMessageStatusStore>(sp => ForProvider<IMessageStatusStore, SqlServerMessageStatusStore, PostgreSqlMessageStatusStore>(sp));
        services.TryAddSingleton<ICircuitStateStore>(sp => ForProvider<ICircuitStateStore, SqlServerCircuitStateStore, PostgreSqlCircuitStateStore>(sp));
        services.TryAddSingleton<IOperationalStatusReader>(sp =>
            ForProvider<IOperationalStatusReader, SqlServerOperationalStatusReader, PostgreSqlOperationalStatusReader>(sp));

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MigrationHostedService>());
        return services;
    }

    private static TService ForProvider<TService, TSqlServer, TPostgreSql>(IServiceProvider services)
        where TService : class
        where TSqlServer : class, TService
        where TPostgreSql : class, TService
    {
        var provider = services.GetRequiredService<StorageDatabase>().Provider;
        return provider switch
        {
            DatabaseProvider.SqlServer => ActivatorUtilities.CreateInstance<TSqlServer>(services),
            DatabaseProvider.PostgreSql => ActivatorUtilities.CreateInstance<TPostgreSql>(services),
            _ => throw new InvalidOperationException($"Unknown database provider {provider}."),
        };
    }
}
