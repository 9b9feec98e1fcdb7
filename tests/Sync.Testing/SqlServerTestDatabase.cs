using Microsoft.Data.SqlClient;

namespace Sync.Testing;

/// <summary>
/// A database of its own for one fixture on the SQL Server named by <c>SYNC_TEST_SQLSERVER</c>, dropped afterwards.
/// Where that variable is unset the fixture is skipped (SQL Server has no Debian package, so it is optional here).
/// </summary>
public sealed class SqlServerTestDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    private SqlServerTestDatabase(string adminConnectionString, string name, string connectionString)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>Connection string to this database.</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// Creates a fresh database; skips the test when SQL Server is not configured, or stops it through
    /// <see cref="ServiceGate"/> when the configured server is unreachable.
    /// </summary>
    public static async Task<SqlServerTestDatabase> CreateAsync(string prefix = "sync_test")
    {
        var configured = TestSettings.SqlServer;
        if (configured is null)
        {
            ServiceGate.NotConfigured("SQL Server", "SYNC_TEST_SQLSERVER");
            throw new InvalidOperationException("unreachable: NotConfigured stops the test");
        }

        var admin = new SqlConnectionStringBuilder(configured) { InitialCatalog = "master", ConnectTimeout = 5, Pooling = false };
        var name = $"{prefix}_{Guid.NewGuid():N}";
        try
        {
            await using var connection = new SqlConnection(admin.ConnectionString);
            await connection.OpenAsync();
            await using var create = new SqlCommand($"CREATE DATABASE [{name}]", connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (SqlException ex)
        {
            ServiceGate.Unavailable($"SQL Server at {admin.DataSource}", ex.Message);
        }

        var own = new SqlConnectionStringBuilder(configured) { InitialCatalog = name };
        return new SqlServerTestDatabase(admin.ConnectionString, name, own.ConnectionString);
    }

    /// <summary>Drops the database, closing whatever connections are still open to it.</summary>
    public async ValueTask DisposeAsync()
    {
        SqlConnection.ClearAllPools();
        await using var connection = new SqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new SqlCommand(
            $"IF DB_ID(N'{Name}') IS NOT NULL BEGIN ALTER DATABASE [{Name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{Name}]; END",
            connection);
        await drop.ExecuteNonQueryAsync();
    }
}
