using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>The outbox over either provider; the SQL comes from the provider's statements class.</summary>
internal abstract class OutboxStore(StorageDatabase database, TimeProvider time, OutboxStore.Statements sql) : IOutboxStore
{
    internal const int PurgeBatchSize = 5000;
    internal const int MaxErrorLength = 4000;

    public async Task EnqueueAsync(IUnitOfWork unitOfWork, IReadOnlyCollection<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return;
        }

        if (unitOfWork is UnitOfWork own)
        {
            own.EnqueuedOutboxRows = true;
        }

        var now = time.GetUtcNow();
        if (messages.Count > 1)
        {
            // One statement for all of them: a group commit of many rows is one round trip.
            await unitOfWork.Connection.ExecuteAsync(database.Command(sql.EnqueueMany, ManyRows(messages, now), unitOfWork, cancellationToken));
            return;
        }

        var rows = messages.Select(m => new
        {
            m.MessageId,
            m.MessageType,
            m.Destination,
            m.Body,
            Headers = DbValues.HeadersToJson(m.Headers),
            CreatedAt = now,
            AvailableAt = DbValues.Utc(m.AvailableAt),
            m.LocationId,
        }).ToList();
        await unitOfWork.Connection.ExecuteAsync(database.Command(sql.Enqueue, rows, unitOfWork, cancellationToken));
    }

    public async Task EnqueueAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await using var unitOfWork = await database.BeginAsync(cancellationToken);
        await EnqueueAsync(unitOfWork, [message], cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
    }

    public async Task<IOutboxClaim> ClaimAsync(int batchSize, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);

        var connection = await database.OpenAsync(cancellationToken);
        DbTransaction? transaction = null;
        try
        {
            transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            if (sql.ClaimSettings is { } settings)
            {
                var idleTimeout = ((long)Math.Ceiling(lease.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
                await connection.ExecuteAsync(database.Command(settings, new { IdleTimeout = idleTimeout }, transaction, cancellationToken));
            }

            var rows = await connection.QueryAsync<ClaimedRow>(database.Command(
                sql.Claim, new { BatchSize = batchSize, Now = time.GetUtcNow() }, transaction, cancellationToken));
            var messages = rows
                .OrderBy(r => r.Id)
                .Select(r => new ClaimedOutboxMessage(r.Id, r.MessageId, r.MessageType, r.Destination, r.Body, DbValues.HeadersFromJson(r.Headers), r.Attempts))
                .ToList();
            if (messages.Count == 0)
            {
                // Nothing locked: give the connection back now rather than when the caller disposes.
                await transaction.DisposeAsync();
                await connection.DisposeAsync();
                return Claim.Empty;
            }

            return new Claim(this, connection, transaction, messages);
        }
        catch
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            await connection.DisposeAsync();
            throw;
        }
    }

    // Within a claim's transaction: the sent rows marked sent, the failed ones given back for a later attempt.
    private async Task RecordOutcomeAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyCollection<long> sent, IReadOnlyCollection<OutboxRetry> retries, CancellationToken cancellationToken)
    {
        if (sent.Count > 0)
        {
            await connection.ExecuteAsync(database.Command(
                sql.MarkSent, new { Ids = IdList(sent), Now = time.GetUtcNow() }, transaction, cancellationToken));
        }

        foreach (var retry in retries)
        {
            await connection.ExecuteAsync(database.Command(
                sql.Release,
                new { retry.Id, AvailableAt = DbValues.Utc(retry.AvailableAt), Error = DbValues.Truncate(retry.Error, MaxErrorLength) },
                transaction,
                cancellationToken));
        }
    }

    public async Task<int> DeletePendingAsync(IUnitOfWork unitOfWork, string locationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        return await unitOfWork.Connection.ExecuteAsync(database.Command(
            sql.DeletePendingForLocation, new { LocationId = locationId }, unitOfWork, cancellationToken));
    }

    public async Task<int> PurgeSentAsync(DateTimeOffset sentBefore, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = 0;
        int deleted;
        do
        {
            deleted = await connection.ExecuteAsync(database.Command(
                sql.PurgeSentBatch, new { SentBefore = DbValues.Utc(sentBefore), BatchSize = PurgeBatchSize }, transaction: null, cancellationToken));
            total += deleted;
        }
        while (deleted == PurgeBatchSize);

        return total;
    }

    public async Task<OutboxBacklog> GetBacklogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<BacklogRow>(database.Command(
            sql.Backlog, new { Now = DbValues.Utc(time.GetUtcNow()) }, transaction: null, cancellationToken));
        return new OutboxBacklog(row.Pending, row.Due, row.OldestDueAt);
    }

    /// <summary>How a list of ids travels as one parameter.</summary>
    protected abstract object IdList(IReadOnlyCollection<long> ids);

    /// <summary>The parameters of <see cref="Statements.EnqueueMany"/>: <c>@CreatedAt</c> and the rows, in order.</summary>
    protected abstract object ManyRows(IReadOnlyCollection<OutboxMessage> messages, DateTimeOffset createdAt);

    // ClaimSettings runs first in a claim's transaction (@IdleTimeout: the lease in milliseconds, as text); null for none.
    internal sealed record Statements(
        string Enqueue,
        string EnqueueMany,
        string? ClaimSettings,
        string Claim,
        string MarkSent,
        string Release,
        string PurgeSentBatch,
        string DeletePendingForLocation,
        string Backlog);

    /// <summary>A claim's connection and transaction; its row locks last until it completes or is disposed.</summary>
    private sealed class Claim : IOutboxClaim
    {
        public static readonly IOutboxClaim Empty = new Claim(null, null, null, []);

        private readonly OutboxStore? _store;
        private DbConnection? _connection;
        private DbTransaction? _transaction;

        public Claim(OutboxStore? store, DbConnection? connection, DbTransaction? transaction, IReadOnlyList<ClaimedOutboxMessage> messages)
        {
            _store = store;
            _connection = connection;
            _transaction = transaction;
            Messages = messages;
        }

        public IReadOnlyList<ClaimedOutboxMessage> Messages { get; }

        public async Task CompleteAsync(IReadOnlyCollection<long> sent, IReadOnlyCollection<OutboxRetry> retries, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(sent);
            ArgumentNullException.ThrowIfNull(retries);
            if (Messages.Count == 0)
            {
                return;
            }

            if (_store is null || _connection is null || _transaction is null)
            {
                throw new InvalidOperationException("This outbox claim has already been completed or disposed.");
            }

            var claimed = Messages.Select(m => m.Id).ToHashSet();
            await _store.RecordOutcomeAsync(
                _connection,
                _transaction,
                sent.Where(claimed.Contains).Distinct().ToList(),
                retries.Where(r => claimed.Contains(r.Id)).ToList(),
                cancellationToken);
            await _transaction.CommitAsync(cancellationToken);
            await DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (_transaction is { } transaction)
            {
                _transaction = null;
                await transaction.DisposeAsync(); // rolls back unless committed: the rows are due again, untouched
            }

            if (_connection is { } connection)
            {
                _connection = null;
                await connection.DisposeAsync();
            }
        }
    }

    private sealed class BacklogRow
    {
        public long Pending { get; set; }

        public long Due { get; set; }

        public DateTimeOffset? OldestDueAt { get; set; }
    }

    private sealed class ClaimedRow
    {
        public long Id { get; set; }

        public Guid MessageId { get; set; }

        public string MessageType { get; set; } = "";

        public string Destination { get; set; } = "";

        public string Body { get; set; } = "";

        public string Headers { get; set; } = "{}";

        public int Attempts { get; set; }
    }
}

internal sealed class SqlServerOutboxStore(StorageDatabase database, TimeProvider time) : OutboxStore(database, time, new(
    SqlServerStatements.OutboxEnqueue,
    SqlServerStatements.OutboxEnqueueMany,
    null,
    SqlServerStatements.OutboxClaim,
    SqlServerStatements.OutboxMarkSent,
    SqlServerStatements.OutboxRelease,
    SqlServerStatements.OutboxPurgeSentBatch,
    SqlServerStatements.OutboxDeletePendingForLocation,
    SqlServerStatements.OutboxBacklog))
{
    protected override object IdList(IReadOnlyCollection<long> ids) => JsonSerializer.Serialize(ids);

    protected override object ManyRows(IReadOnlyCollection<OutboxMessage> messages, DateTimeOffset createdAt) => new
    {
        CreatedAt = createdAt,
        Rows = JsonSerializer.Serialize(messages.Select((m, i) => new
        {
            Ordinal = i,
            m.MessageId,
            m.MessageType,
            m.Destination,
            m.Body,
            Headers = DbValues.HeadersToJson(m.Headers),
            AvailableAt = DbValues.Utc(m.AvailableAt),
            m.LocationId,
        })),
    };
}

internal sealed class PostgreSqlOutboxStore(StorageDatabase database, TimeProvider time) : OutboxStore(database, time, new(
    PostgreSqlStatements.OutboxEnqueue,
    PostgreSqlStatements.OutboxEnqueueMany,
    PostgreSqlStatements.OutboxClaimSettings,
    PostgreSqlStatements.OutboxClaim,
    PostgreSqlStatements.OutboxMarkSent,
    PostgreSqlStatements.OutboxRelease,
    PostgreSqlStatements.OutboxPurgeSentBatch,
    PostgreSqlStatements.OutboxDeletePendingForLocation,
    PostgreSqlStatements.OutboxBacklog))
{
    protected override object IdList(IReadOnlyCollection<long> ids) => ids.ToArray();

    protected override object ManyRows(IReadOnlyCollection<OutboxMessage> messages, DateTimeOffset createdAt) => new
    {
        CreatedAt = createdAt,
        MessageIds = messages.Select(m => m.MessageId).ToArray(),
        MessageTypes = messages.Select(m => m.MessageType).ToArray(),
        Destinations = messages.Select(m => m.Destination).ToArray(),
        Bodies = messages.Select(m => m.Body).ToArray(),
        Headers = messages.Select(m => DbValues.HeadersToJson(m.Headers)).ToArray(),
        AvailableAts = messages.Select(m => DbValues.Utc(m.AvailableAt)).ToArray(),
        LocationIds = messages.Select(m => m.LocationId).ToArray(),
    };
}
