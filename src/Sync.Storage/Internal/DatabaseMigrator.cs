using System.Data.Common;
using System.Reflection;
using Dapper;
using DbUp;
using DbUp.Builder;
using DbUp.Engine;
using Microsoft.Data.SqlClient;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>
/// Applies the embedded scripts of the configured provider with DbUp, journaled in <c>sync.schema_versions</c>, each
/// script in its own transaction, holding a database-wide lock so that hosts starting together migrate one at a time.
/// </summary>
internal sealed partial class DatabaseMigrator(StorageDatabase database, ILogger<DatabaseMigrator> logger) : IDatabaseMigrator
{
    internal const string ResourcePrefix = "Sync.Storage.Migrations.";

    /// <summary>PostgreSQL advisory-lock key: any fixed bigint unlikely to collide with another application's.</summary>
    internal const long PostgreSqlLockKey = 0x53796E634D696772; // "SyncMigr"

    internal const string SqlServerLockResource = "sync-storage-migrations";

    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The resource-name prefix of a provider's scripts.</summary>
    internal static string ScriptPrefix(DatabaseProvider provider) => $"{ResourcePrefix}{provider}.";

    /// <summary>A provider's scripts, in the order they apply (ordinal by name: <c>0001_…</c>, <c>0002_…</c>).</summary>
    internal static IReadOnlyList<string> ScriptNames(DatabaseProvider provider) =>
        typeof(DatabaseMigrator).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ScriptPrefix(provider), StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    public async Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken)
    {
        if (database.CreateDatabaseIfMissing)
        {
            await CreateDatabaseIfMissingAsync(cancellationToken);
        }

        await using var lockConnection = await database.OpenAsync(cancellationToken);
        await AcquireLockAsync(lockConnection, cancellationToken);
        try
        {
            await lockConnection.ExecuteAsync(database.Command(EnsureSchemaStatement, null, transaction: null, cancellationToken));
            var engine = BuildEngine();
            var result = await Task.Run(engine.PerformUpgrade, cancellationToken);
            if (!result.Successful)
            {
                var script = result.ErrorScript?.Name ?? "(none)";
                LogMigrationFailed(logger, result.Error, script);
                throw new StorageMigrationException($"Migration script {script} failed: {result.Error?.Message}", result.Error!);
            }

            var applied = result.Scripts.Select(s => s.Name).ToList();
            if (applied.Count == 0)
            {
                LogSchemaCurrent(logger, database.Provider);
            }
            else
            {
                LogMigrated(logger, applied.Count, database.Provider, string.Join(", ", applied));
            }

            return new MigrationResult(applied);
        }
        finally
        {
            await ReleaseLockAsync(lockConnection);
        }
    }

    public async Task<IReadOnlyList<string>> GetPendingScriptsAsync(CancellationToken cancellationToken)
    {
        // Open (and close) a connection first so an unreachable database fails here with the driver's own error.
        await using (await database.OpenAsync(cancellationToken))
        {
        }

        var engine = BuildEngine();
        return await Task.Run(() => engine.GetScriptsToExecute().Select(s => s.Name).ToList(), cancellationToken);
    }

    private string EnsureSchemaStatement => database.Provider == DatabaseProvider.SqlServer
        ? SqlServerStatements.EnsureSchema
        : PostgreSqlStatements.EnsureSchema;

    private UpgradeEngine BuildEngine()
    {
        var to = DeployChanges.To;
        UpgradeEngineBuilder builder = database.Provider switch
        {
            DatabaseProvider.SqlServer => to.SqlDatabase(database.ConnectionString, Tables.Schema).JournalToSqlTable(Tables.Schema, Tables.Journal),
            DatabaseProvider.PostgreSql => to.PostgresqlDatabase(database.ConnectionString, Tables.Schema).JournalToPostgresqlTable(Tables.Schema, Tables.Journal),
            _ => throw new InvalidOperationException($"Unknown database provider {database.Provider}."),
        };

        var prefix = ScriptPrefix(database.Provider);
        return builder
            .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.StartsWith(prefix, StringComparison.Ordinal))
            .WithTransactionPerScript()
            .WithVariablesDisabled()
            .WithExecutionTimeout(TimeSpan.FromSeconds(Math.Max(database.CommandTimeoutSeconds, 300)))
            .LogTo(logger)
            .Build();
    }

    private async Task CreateDatabaseIfMissingAsync(CancellationToken cancellationToken)
    {
        if (database.Provider == DatabaseProvider.SqlServer)
        {
            var target = new SqlConnectionStringBuilder(database.ConnectionString);
            var name = target.InitialCatalog;
            if (string.IsNullOrEmpty(name))
            {
                return;
            }

            var server = new SqlConnectionStringBuilder(database.ConnectionString) { InitialCatalog = "master", Pooling = false };
            await using var connection = new SqlConnection(server.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            var created = await connection.ExecuteScalarAsync<int>(database.Command(
                SqlServerStatements.CreateDatabaseIfMissing, new { Name = name }, transaction: null, cancellationToken));
            if (created == 1)
            {
                LogDatabaseCreated(logger, name);
            }
        }
        else
        {
            var target = new NpgsqlConnectionStringBuilder(database.ConnectionString);
            var name = target.Database;
            if (string.IsNullOrEmpty(name))
            {
                return;
            }

            var server = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false };
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            // CREATE DATABASE takes no parameters: the server quotes the name (format %I) and we run what it built.
            var create = await connection.QuerySingleOrDefaultAsync<string?>(database.Command(
                PostgreSqlStatements.CreateDatabaseStatementIfMissing, new { Name = name }, transaction: null, cancellationToken));
            if (create is not null)
            {
                try
                {
                    await connection.ExecuteAsync(database.Command(create, null, transaction: null, cancellationToken));
                    LogDatabaseCreated(logger, name);
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
                {
                    // Another host created it first.
                }
            }
        }
    }

    private async Task AcquireLockAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (database.Provider == DatabaseProvider.SqlServer)
        {
            var result = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                SqlServerStatements.AcquireMigrationLock,
                new { Resource = SqlServerLockResource, TimeoutMs = (int)LockTimeout.TotalMilliseconds },
                commandTimeout: (int)LockTimeout.TotalSeconds + 30,
                cancellationToken: cancellationToken));
            if (result < 0)
            {
                throw new StorageMigrationException(
                    $"Could not take the migration lock within {LockTimeout.TotalMinutes} minutes (sp_getapplock returned {result}): another host is migrating.");
            }
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(
                PostgreSqlStatements.AcquireMigrationLock,
                new { Key = PostgreSqlLockKey },
                commandTimeout: (int)LockTimeout.TotalSeconds,
                cancellationToken: cancellationToken));
        }
    }

    private async Task ReleaseLockAsync(DbConnection connection)
    {
        var statement = database.Provider == DatabaseProvider.SqlServer ? SqlServerStatements.ReleaseMigrationLock : PostgreSqlStatements.ReleaseMigrationLock;
        try
        {
            await connection.ExecuteAsync(database.Command(
                statement, new { Resource = SqlServerLockResource, Key = PostgreSqlLockKey }, transaction: null, CancellationToken.None));
        }
        catch (DbException ex)
        {
            // The lock belongs to the session: closing the connection releases it anyway.
            LogLockReleaseFailed(logger, ex);
        }
    }

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Created database {Database}")]
    private static partial void LogDatabaseCreated(ILogger logger, string database);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Database schema ({Provider}) is up to date")]
    private static partial void LogSchemaCurrent(ILogger logger, DatabaseProvider provider);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Applied {Count} migration(s) to the {Provider} database: {Scripts}")]
    private static partial void LogMigrated(ILogger logger, int count, DatabaseProvider provider, string scripts);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Migration script {Script} failed")]
    private static partial void LogMigrationFailed(ILogger logger, Exception? exception, string script);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Releasing the migration lock failed; closing the connection releases it")]
    private static partial void LogLockReleaseFailed(ILogger logger, Exception exception);
}
