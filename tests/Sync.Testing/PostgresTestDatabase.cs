using Npgsql;

namespace Sync.Testing;

/// <summary>A database of its own for one fixture, created on the configured server and dropped afterwards.</summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    private PostgresTestDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>Connection string to this database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates a fresh database, or stops the test through <see cref="ServiceGate"/> when the server is unreachable.</summary>
    /// <param name="prefix">The start of the database's name.</param>
    /// <param name="server">A connection string to the server; <see cref="TestSettings.Postgres"/> when null.</param>
    public static async Task<PostgresTestDatabase> CreateAsync(string prefix = "sync_test", string? server = null)
    {
        server ??= TestSettings.Postgres;
        var admin = new NpgsqlConnectionStringBuilder(server) { Timeout = 5, Pooling = false };
        var name = $"{prefix}_{Guid.NewGuid():N}";
        try
        {
            await using var connection = new NpgsqlConnection(admin.ConnectionString);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            ServiceGate.Unavailable($"PostgreSQL at {admin.Host}:{admin.Port}", ex.Message);
        }

        var own = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new PostgresTestDatabase(admin.ConnectionString, name, own.ConnectionString);
    }

    /// <summary>
    /// Drops the database, closing whatever connections are still open to it. An autovacuum worker busy in it makes
    /// PostgreSQL 15 refuse the drop to a user outside pg_signal_backend (42501); the worker ends within moments, so the
    /// drop is tried again for up to 10 s before the failure is let through.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(200);
            }
        }
    }
}
