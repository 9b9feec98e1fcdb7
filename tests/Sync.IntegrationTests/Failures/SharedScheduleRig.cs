using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sync.HoopAi;
using Sync.HoopAi.Api;
using Sync.Storage;
using Sync.Testing;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// The shared API schedule on a PostgreSQL database of its own, migrated, with the storage and API services over it:
/// each <see cref="NewProcess"/> is a limiter of its own, standing for another worker process (only the database is
/// shared).
/// </summary>
internal sealed class SharedScheduleRig : IAsyncDisposable
{
    private readonly PostgresTestDatabase _database;
    private readonly ServiceProvider _services;

    private SharedScheduleRig(PostgresTestDatabase database, ServiceProvider services)
    {
        _database = database;
        _services = services;
    }

    /// <summary>Creates the database and the services; <paramref name="hoopAi"/> adds <c>Sync:HoopAi</c> settings.</summary>
    public static async Task<SharedScheduleRig> CreateAsync(IReadOnlyDictionary<string, string?> hoopAi)
    {
        var database = await PostgresTestDatabase.CreateAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Sync:Storage:Provider"] = "PostgreSql",
            ["Sync:Storage:ConnectionString"] = database.ConnectionString,
            ["Sync:Storage:ActiveKeyId"] = "test",
            ["Sync:Storage:EncryptionKeys:test"] = Convert.ToBase64String(Encoding.ASCII.GetBytes("integration-test-key-of-32-bytes")),
        };
        foreach (var (key, value) in hoopAi)
        {
            settings["Sync:HoopAi:" + key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.ClearProviders())
            .AddSyncStorage(configuration)
            .AddSyncHoopAi(configuration)
            .AddSyncHoopAiClient()
            .BuildServiceProvider();
        await services.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);
        return new SharedScheduleRig(database, services);
    }

    /// <summary>The rig's services.</summary>
    public IServiceProvider Services => _services;

    /// <summary>A limiter of its own (another worker process), with <paramref name="extra"/> given to its constructor.</summary>
    public SharedRateLimiter NewProcess(params object[] extra) => ActivatorUtilities.CreateInstance<SharedRateLimiter>(_services, extra);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _database.DisposeAsync();
    }
}
