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
    /// <summary>Npgsql's <c>Max Auto Prepare</c> when the connection string does not set it.</summary>
    internal const int DefaultMaxAutoPrepare = 64;

    private readonly NpgsqlDataSource? _npgsql;

    public StorageDatabase(IOptions<StorageOptions> options, OutboxSignal outboxSignal)
    {
        OutboxSignal = outboxSignal;
        var value = options.Value;
        Provider = value.Provider;
        ConnectionString = value.ConnectionString;
        CommandTimeoutSeconds = value.CommandTimeoutSeconds;
        CreateDatabaseIfMissing = value.CreateDatabaseIfMissing;
        if (Provider == DatabaseProvider.PostgreSql)
        {
            // Statements run thousands of times a minute: let Npgsql prepare them on the server after a few uses, so
            // PostgreSQL parses and plans each once per connection, unless the connection string says otherwise.
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            if (!ConnectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase) &&
                !ConnectionString.Contains("AutoPrepare", StringComparison.OrdinalIgnoreCase))
            {
                builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
            }

            _npgsql = NpgsqlDataSource.Create(builder.ConnectionString);
        }
    }

    public DatabaseProvider Provider { get; }

    /// <summary>Notified when a unit of work that enqueued outbox rows commits.</summary>
    public OutboxSignal OutboxSignal { get; }

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
            return new UnitOfWork(connection, transaction, OutboxSignal);
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
internal sealed class UnitOfWork(DbConnection connection, DbTransaction transaction, OutboxSignal outboxSignal) : IUnitOfWork
{
    public DbConnection Connection { get; } = connection;

    public DbTransaction Transaction { get; } = transaction;

    /// <summary>Set when outbox rows were enqueued in this unit of work: its commit tells the relay.</summary>
    public bool EnqueuedOutboxRows { get; set; }

    private bool _committed;

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ThrowIfCommitted();
        await Transaction.CommitAsync(cancellationToken);
        Committed();
    }

    /// <summary>
    /// PostgreSQL only: runs <paramref name="sql"/> and then <c>COMMIT</c> as one command, so the last statement and the
    /// commit take one round trip. Npgsql sends the statements with one Sync: if the first fails, the COMMIT is not run
    /// and the error surfaces (disposing then rolls back). Npgsql learns from the server that the transaction ended and
    /// treats its transaction object as completed.
    /// </summary>
    public async Task ExecuteAndCommitAsync(string sql, object parameters, int commandTimeoutSeconds, CancellationToken cancellationToken)
    {
        ThrowIfCommitted();
        await Connection.ExecuteAsync(new CommandDefinition(sql + ";\nCOMMIT", parameters, Transaction, commandTimeoutSeconds, cancellationToken: cancellationToken));
        Committed();
    }

    private void ThrowIfCommitted()
    {
        if (_committed)
        {
            throw new InvalidOperationException("This unit of work has already committed.");
        }
    }

    private void Committed()
    {
        _committed = true;
        if (EnqueuedOutboxRows)
        {
            outboxSignal.Notify();
        }
    }

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
