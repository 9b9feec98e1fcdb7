using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sync.Testing;

namespace Sync.Storage.Tests.Infrastructure;

/// <summary>
/// Base of every database fixture: one fresh database per fixture, migrated, with the storage registered through
/// <see cref="StorageServiceCollectionExtensions.AddSyncStorage(IServiceCollection, Action{StorageOptions})"/> exactly as
/// hosts do, on a clock the tests move by hand. A contract suite derives from this once; each provider derives from
/// the suite.
/// </summary>
public abstract class StorageFixture
{
    private readonly List<ServiceProvider> _providers = [];

    protected abstract DatabaseProvider Provider { get; }

    /// <summary>Whether the one-time set-up migrates the database (migration fixtures do it themselves).</summary>
    protected virtual bool MigrateInSetUp => true;

    protected TestDatabase Database { get; private set; } = null!;

    protected TestClock Clock { get; private set; } = null!;

    protected ServiceProvider Services { get; private set; } = null!;

    /// <summary>The fixture's key ring: <c>k1</c> active.</summary>
    protected Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal) { ["k1"] = NewKey() };

    protected static CancellationToken None => CancellationToken.None;

    [OneTimeSetUp]
    public async Task Create_storage()
    {
        Database = await TestDatabase.CreateAsync(Provider);
        Clock = new TestClock();
        Services = BuildServices();
        if (MigrateInSetUp)
        {
            await Get<IDatabaseMigrator>().MigrateAsync(None);
        }
    }

    [OneTimeTearDown]
    public async Task Drop_storage()
    {
        if (Services is not null)
        {
            await Services.DisposeAsync();
        }

        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }

    /// <summary>A base64 AES-256 key.</summary>
    protected static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>An id unique to this test run, short enough for every id column.</summary>
    protected static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    protected T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    /// <summary>
    /// Another service provider on the same database (another "process"), optionally with other options or its own
    /// clock (the fixture's by default); disposed with the fixture.
    /// </summary>
    protected ServiceProvider BuildServices(Action<StorageOptions>? customise = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time ?? Clock);
        services.AddSyncStorage(options =>
        {
            options.Provider = Provider;
            options.ConnectionString = Database.ConnectionString;
            options.MigrateOnStart = false;
            foreach (var (id, key) in Keys)
            {
                options.EncryptionKeys[id] = key;
            }

            options.ActiveKeyId = "k1";
            customise?.Invoke(options);
        });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _providers.Add(provider);
        return provider;
    }

    /// <summary>Reads straight from the database, past every store.</summary>
    protected async Task<IReadOnlyList<T>> QueryRawAsync<T>(string sql, object? parameters = null)
    {
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        var rows = await unitOfWork.Connection.QueryAsync<T>(new CommandDefinition(sql, parameters, unitOfWork.Transaction));
        await unitOfWork.CommitAsync(None);
        return rows.ToList();
    }

    /// <summary>Writes straight to the database, past every store.</summary>
    protected async Task<int> ExecuteRawAsync(string sql, object? parameters = null)
    {
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        var affected = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(sql, parameters, unitOfWork.Transaction));
        await unitOfWork.CommitAsync(None);
        return affected;
    }
}
