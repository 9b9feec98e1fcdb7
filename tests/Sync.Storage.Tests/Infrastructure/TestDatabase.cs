using Sync.Testing;

namespace Sync.Storage.Tests.Infrastructure;

/// <summary>A fresh database of one provider for one fixture, dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly IAsyncDisposable _owner;

    private TestDatabase(DatabaseProvider provider, string connectionString, IAsyncDisposable owner)
    {
        Provider = provider;
        ConnectionString = connectionString;
        _owner = owner;
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>Creates the database, or stops the test through the service gate (CI fails, elsewhere skips).</summary>
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        switch (provider)
        {
            case DatabaseProvider.PostgreSql:
                var postgres = await PostgresTestDatabase.CreateAsync("sync_storage");
                return new TestDatabase(provider, postgres.ConnectionString, postgres);
            case DatabaseProvider.SqlServer:
                var sqlServer = await SqlServerTestDatabase.CreateAsync("sync_storage");
                return new TestDatabase(provider, sqlServer.ConnectionString, sqlServer);
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, null);
        }
    }

    public ValueTask DisposeAsync() => _owner.DisposeAsync();
}
