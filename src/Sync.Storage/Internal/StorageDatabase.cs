using System.Data;
using System.Data.Common;
using Dapper;
using Microsoft.Data.SqlClient;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Sync.Storage.Internal;

/// <summary>The configured database: opens connections, builds Dapper commands with the configured timeout.</summary>
internal sealed class StorageDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _npgsql;

    public StorageDatabase(IOptions<StorageOptions> options)
    {
        var value = options.Value;
        Provider = value.Provider;
        ConnectionString = value.ConnectionString;
        CommandTimeoutSeconds = value.CommandTimeoutSeconds;
        CreateDatabaseIfMissing = value.CreateDatabaseIfMissing;
        if (Provider == DatabaseProvider.PostgreSql)
        {
            _npgsql = NpgsqlDataSource.Create(ConnectionString);
        }
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    public int CommandTimeoutSeconds { get; }

    public bool CreateDatabaseIfMissing { get; }

    public DbConnection CreateConnection() => Provider switch
    {
        DatabaseProvider.SqlServer => new SqlConnection(ConnectionString),
        DatabaseProvider.PostgreSql => _npgsql!.CreateConnection(),
        _ => throw new InvalidOperationException($"Unknown database provider {Provider}."),
    };

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public CommandDefinition Command(string sql, object? parameters, DbTransaction? transaction, CancellationToken cancellationToken) =>
        new(sql, parameters, transaction, CommandTimeoutSeconds, cancellationToken: cancellationToken);

    public CommandDefinition Command(string sql, object? parameters, IUnitOfWork unitOfWork, CancellationToken cancellationToken) =>
        Command(sql, parameters, unitOfWork.Transaction, cancellationToken);

    /// <summary>Runs <paramref name="work"/> in a read-committed transaction of its own and commits it.</summary>
    public async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        var result = await work(connection, transaction);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    public async Task<IUnitOfWork> BeginAsync(CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            return new UnitOfWork(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _npgsql?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>An open connection and its transaction; disposing without committing rolls back.</summary>
internal sealed class UnitOfWork(DbConnection connection, DbTransaction transaction) : IUnitOfWork
{
    public DbConnection Connection { get; } = connection;

    public DbTransaction Transaction { get; } = transaction;

    public Task CommitAsync(CancellationToken cancellationToken) => Transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}

/// <summary>Opens units of work on the configured database.</summary>
internal sealed class UnitOfWorkFactory(StorageDatabase database) : IUnitOfWorkFactory
{
    public Task<IUnitOfWork> BeginAsync(CancellationToken cancellationToken) => database.BeginAsync(cancellationToken);
}
