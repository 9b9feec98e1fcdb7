using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sync.Storage.Internal;

/// <summary>
/// Migrates in <see cref="IHostedLifecycleService.StartingAsync"/>, which the host runs before any hosted service's
/// <c>StartAsync</c>: nothing that uses the database starts on an old schema. A failure stops the host.
/// </summary>
internal sealed class MigrationHostedService(IDatabaseMigrator migrator, IOptions<StorageOptions> options) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStart)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
