using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>The inbox over either provider; the SQL comes from the provider's statements class.</summary>
internal abstract class InboxStore(StorageDatabase database, TimeProvider time, InboxStore.Statements sql) : IInboxStore
{
    internal const int PurgeBatchSize = 5000;

    public async Task<bool> TryMarkProcessedAsync(IUnitOfWork unitOfWork, string consumer, Guid messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        try
        {
            var inserted = await unitOfWork.Connection.ExecuteAsync(database.Command(
                sql.InsertIfNew, new { Consumer = consumer, MessageId = messageId, ProcessedAt = time.GetUtcNow() }, unitOfWork, cancellationToken));
            return inserted == 1;
        }
        catch (Exception ex) when (database.Provider == DatabaseProvider.SqlServer && DbErrors.IsDuplicateKey(ex))
        {
            // The range lock makes this unreachable in practice; if a racing insert slips through anyway, it lost.
            // On SQL Server a duplicate-key error ends the statement, not the transaction.
            return false;
        }
    }

    public Task UnmarkAsync(IUnitOfWork unitOfWork, string consumer, Guid messageId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        return unitOfWork.Connection.ExecuteAsync(database.Command(
            sql.Delete, new { Consumer = consumer, MessageId = messageId }, unitOfWork, cancellationToken));
    }

    public async Task<bool> TryMarkProcessedAsync(string consumer, Guid messageId, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await database.BeginAsync(cancellationToken);
        var isNew = await TryMarkProcessedAsync(unitOfWork, consumer, messageId, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return isNew;
    }

    public async Task<bool> IsProcessedAsync(string consumer, Guid messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(database.Command(
            sql.Exists, new { Consumer = consumer, MessageId = messageId }, transaction: null, cancellationToken));
    }

    public async Task<int> PurgeAsync(DateTimeOffset processedBefore, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = 0;
        int deleted;
        do
        {
            deleted = await connection.ExecuteAsync(database.Command(
                sql.PurgeBatch, new { ProcessedBefore = DbValues.Utc(processedBefore), BatchSize = PurgeBatchSize }, transaction: null, cancellationToken));
            total += deleted;
        }
        while (deleted == PurgeBatchSize);

        return total;
    }

    internal sealed record Statements(string InsertIfNew, string Exists, string PurgeBatch, string Delete);
}

internal sealed class SqlServerInboxStore(StorageDatabase database, TimeProvider time) : InboxStore(database, time, new(
    SqlServerStatements.InboxInsertIfNew, SqlServerStatements.InboxExists, SqlServerStatements.InboxPurgeBatch, SqlServerStatements.InboxDelete));

internal sealed class PostgreSqlInboxStore(StorageDatabase database, TimeProvider time) : InboxStore(database, time, new(
    PostgreSqlStatements.InboxInsertIfNew, PostgreSqlStatements.InboxExists, PostgreSqlStatements.InboxPurgeBatch, PostgreSqlStatements.InboxDelete));
