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

    public async Task<IReadOnlyList<ClaimedOutboxMessage>> ClaimAsync(string relayId, int batchSize, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relayId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);

        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ClaimedRow>(database.Command(
            sql.Claim, new { RelayId = relayId, BatchSize = batchSize, Now = now, LockedUntil = now + lease }, transaction: null, cancellationToken));
        return rows
            .OrderBy(r => r.Id)
            .Select(r => new ClaimedOutboxMessage(r.Id, r.MessageId, r.MessageType, r.Destination, r.Body, DbValues.HeadersFromJson(r.Headers), r.Attempts))
            .ToList();
    }

    public async Task MarkSentAsync(string relayId, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relayId);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(database.Command(
            sql.MarkSent, new { RelayId = relayId, Ids = IdList(ids), Now = time.GetUtcNow() }, transaction: null, cancellationToken));
    }

    public async Task ReleaseAsync(string relayId, long id, DateTimeOffset availableAt, string? error, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relayId);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(database.Command(
            sql.Release,
            new { RelayId = relayId, Id = id, AvailableAt = DbValues.Utc(availableAt), Error = DbValues.Truncate(error, MaxErrorLength) },
            transaction: null,
            cancellationToken));
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

    internal sealed record Statements(
        string Enqueue, string EnqueueMany, string Claim, string MarkSent, string Release, string PurgeSentBatch, string DeletePendingForLocation, string Backlog);

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
