using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>The dead-letter store over either provider; the SQL comes from the provider's statements class.</summary>
internal abstract class DeadLetterStore(StorageDatabase database, TimeProvider time, DeadLetterStore.Statements sql) : IDeadLetterStore
{
    internal const int MaxNoteLength = 4000;
    internal const int MaxActorLength = 200;
    internal const int MaxApiAnswerLength = 1000;
    internal const int MaxConsumerLength = 400;

    public async Task<DeadLetterWriteResult> AddOrUpdateAsync(DeadLetterFailure failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentException.ThrowIfNullOrWhiteSpace(failure.SourceQueue);
        ArgumentException.ThrowIfNullOrWhiteSpace(failure.MessageId);
        ArgumentException.ThrowIfNullOrWhiteSpace(failure.Classification);

        var proposedId = Guid.CreateVersion7(time.GetUtcNow());
        var parameters = new
        {
            Id = proposedId,
            failure.SourceQueue,
            failure.MessageId,
            failure.MessageType,
            failure.LocationId,
            failure.Body,
            Headers = DbValues.HeadersToJson(failure.Headers),
            failure.FaultType,
            failure.FaultMessage,
            failure.FaultStackTrace,
            failure.Classification,
            Fingerprint = DeadLetterFingerprint.Compute(failure.MessageType, failure.FaultType, failure.FaultMessage, failure.Consumer),
            FailedAt = DbValues.Utc(failure.FailedAt),
            NewStatus = DbValues.ToDb(DeadLetterStatus.New),
            failure.HttpStatus,
            ApiAnswer = DbValues.Truncate(failure.ApiAnswer, MaxApiAnswerLength),
            failure.Attempts,
            Consumer = DbValues.Truncate(failure.Consumer, MaxConsumerLength),
            failure.ReplayOf,
            Occurrence = failure.ReplayOf is { } replayOf ? replayOf.ToString("D") : "",
        };

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var id = await database.InTransactionAsync(
                    (connection, transaction) => connection.ExecuteScalarAsync<Guid>(database.Command(sql.AddOrUpdate, parameters, transaction, cancellationToken)),
                    cancellationToken);
                return new DeadLetterWriteResult(id, id == proposedId);
            }
            catch (Exception ex) when (attempt == 1 && DbErrors.IsDuplicateKey(ex))
            {
                // A concurrent first failure of the same message won the insert: run again, which now updates.
            }
        }
    }

    public async Task<DeadLetter?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<DeadLetterRow>(database.Command(sql.Get, new { Id = id }, transaction: null, cancellationToken));
        return row?.ToDeadLetter();
    }

    public async Task<DeadLetterPage> QueryAsync(DeadLetterFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var parameters = FilterParameters(filter);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<DeadLetterRow>(database.Command(sql.Query, parameters, transaction: null, cancellationToken));
        var total = await connection.ExecuteScalarAsync<long>(database.Command(sql.Count, parameters, transaction: null, cancellationToken));
        return new DeadLetterPage(rows.Select(r => r.ToDeadLetter()).ToList(), total);
    }

    public async Task<IReadOnlyList<DeadLetterGroup>> GroupByFingerprintAsync(DeadLetterFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<GroupRow>(database.Command(sql.GroupByFingerprint, FilterParameters(filter), transaction: null, cancellationToken));
        return rows.Select(r => new DeadLetterGroup(r.Fingerprint, r.Count, r.MessageType, r.FaultType, r.SampleFaultMessage, r.FirstFailedAt, r.LastFailedAt)
        {
            Classification = r.Classification,
            LocationCount = r.LocationCount,
            SampleLocationId = r.SampleLocationId,
            ExampleId = Guid.TryParse(r.ExampleId, out var example) ? example : null,
        }).ToList();
    }

    public async Task<bool> MarkReplayedAsync(IUnitOfWork unitOfWork, Guid id, string actor, string? note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        var changed = await unitOfWork.Connection.ExecuteScalarAsync<int>(database.Command(
            sql.ChangeStatus, StatusChange(id, DeadLetterStatus.Replayed, DeadLetterAction.Replayed, replayIncrement: 1, actor, note), unitOfWork, cancellationToken));
        return changed == 1;
    }

    public async Task<bool> DiscardAsync(Guid id, string actor, string? note, CancellationToken cancellationToken)
    {
        var changed = await database.InTransactionAsync(
            (connection, transaction) => connection.ExecuteScalarAsync<int>(database.Command(
                sql.ChangeStatus, StatusChange(id, DeadLetterStatus.Discarded, DeadLetterAction.Discarded, replayIncrement: 0, actor, note), transaction, cancellationToken)),
            cancellationToken);
        return changed == 1;
    }

    public async Task<int> DiscardLocationAsync(IUnitOfWork unitOfWork, string locationId, string actor, string? note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return await unitOfWork.Connection.ExecuteScalarAsync<int>(database.Command(
            sql.ChangeStatusOfLocation,
            new
            {
                LocationId = locationId,
                FromStatus = DbValues.ToDb(DeadLetterStatus.New),
                Status = DbValues.ToDb(DeadLetterStatus.Discarded),
                Action = DbValues.ToDb(DeadLetterAction.Discarded),
                Actor = DbValues.Truncate(actor, MaxActorLength),
                Note = DbValues.Truncate(note, MaxNoteLength),
                At = time.GetUtcNow(),
            },
            unitOfWork,
            cancellationToken));
    }

    public async Task<IReadOnlyList<DeadLetterAuditEntry>> GetAuditTrailAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(database.Command(sql.AuditTrail, new { Id = id }, transaction: null, cancellationToken));
        return rows.Select(r => new DeadLetterAuditEntry(r.DeadLetterId, DbValues.DeadLetterActionFromDb(r.Action), r.Actor, r.Note, r.At)).ToList();
    }

    public async Task<bool> MarkEditedAsync(IUnitOfWork unitOfWork, Guid id, string actor, string? note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        var changed = await unitOfWork.Connection.ExecuteScalarAsync<int>(database.Command(
            sql.ChangeStatus, StatusChange(id, DeadLetterStatus.Replayed, DeadLetterAction.Edited, replayIncrement: 1, actor, note), unitOfWork, cancellationToken));
        return changed == 1;
    }

    public async Task<int> PurgeAsync(DateTimeOffset lastFailedBefore, bool includeNew, CancellationToken cancellationToken) =>
        await database.InTransactionAsync(
            (connection, transaction) => connection.ExecuteScalarAsync<int>(database.Command(
                sql.Purge,
                new { Before = DbValues.Utc(lastFailedBefore), IncludeNew = includeNew, NewStatus = DbValues.ToDb(DeadLetterStatus.New) },
                transaction,
                cancellationToken)),
            cancellationToken);

    private object StatusChange(Guid id, DeadLetterStatus status, DeadLetterAction action, int replayIncrement, string actor, string? note)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return new
        {
            Id = id,
            Status = DbValues.ToDb(status),
            Action = DbValues.ToDb(action),
            ReplayIncrement = replayIncrement,
            Actor = DbValues.Truncate(actor, MaxActorLength),
            Note = DbValues.Truncate(note, MaxNoteLength),
            At = time.GetUtcNow(),
        };
    }

    private static object FilterParameters(DeadLetterFilter filter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(filter.Skip);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(filter.Take);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(filter.Take, DeadLetterFilter.MaxTake);
        return new
        {
            Status = filter.Status is { } status ? DbValues.ToDb(status) : null,
            filter.SourceQueue,
            filter.MessageType,
            filter.LocationId,
            filter.Fingerprint,
            filter.Classification,
            TextPattern = string.IsNullOrEmpty(filter.Text) ? null : "%" + EscapeLike(filter.Text) + "%",
            LastFailedFrom = DbValues.Utc(filter.LastFailedFrom),
            LastFailedBefore = DbValues.Utc(filter.LastFailedBefore),
            filter.Skip,
            filter.Take,
        };
    }

    // LIKE patterns escape their wildcards with a backslash (ESCAPE '\' in both providers' SQL).
    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal).Replace("[", "\\[", StringComparison.Ordinal);

    internal sealed record Statements(
        string AddOrUpdate, string Get, string Query, string Count, string GroupByFingerprint, string ChangeStatus,
        string ChangeStatusOfLocation, string AuditTrail, string Purge);

    private sealed class DeadLetterRow
    {
        public Guid Id { get; set; }

        public string SourceQueue { get; set; } = "";

        public string MessageId { get; set; } = "";

        public string? MessageType { get; set; }

        public string? LocationId { get; set; }

        public string Body { get; set; } = "";

        public string Headers { get; set; } = "{}";

        public string? FaultType { get; set; }

        public string? FaultMessage { get; set; }

        public string? FaultStackTrace { get; set; }

        public string Classification { get; set; } = "";

        public string Fingerprint { get; set; } = "";

        public DateTimeOffset FirstFailedAt { get; set; }

        public DateTimeOffset LastFailedAt { get; set; }

        public int FailureCount { get; set; }

        public string Status { get; set; } = "";

        public int ReplayCount { get; set; }

        public DateTimeOffset StatusChangedAt { get; set; }

        public int? HttpStatus { get; set; }

        public string? ApiAnswer { get; set; }

        public int? Attempts { get; set; }

        public string? Consumer { get; set; }

        public Guid? ReplayOf { get; set; }

        public DeadLetter ToDeadLetter() => new(
            Id, SourceQueue, MessageId, MessageType, LocationId, Body, DbValues.HeadersFromJson(Headers), FaultType, FaultMessage,
            FaultStackTrace, Classification, Fingerprint, FirstFailedAt, LastFailedAt, FailureCount,
            DbValues.DeadLetterStatusFromDb(Status), ReplayCount, StatusChangedAt)
        {
            HttpStatus = HttpStatus,
            ApiAnswer = ApiAnswer,
            Attempts = Attempts,
            Consumer = Consumer,
            ReplayOf = ReplayOf,
        };
    }

    private sealed class GroupRow
    {
        public string Fingerprint { get; set; } = "";

        public long Count { get; set; }

        public string? MessageType { get; set; }

        public string? FaultType { get; set; }

        public string? SampleFaultMessage { get; set; }

        public DateTimeOffset FirstFailedAt { get; set; }

        public DateTimeOffset LastFailedAt { get; set; }

        public string? Classification { get; set; }

        public long LocationCount { get; set; }

        public string? SampleLocationId { get; set; }

        public string? ExampleId { get; set; }
    }

    private sealed class AuditRow
    {
        public Guid DeadLetterId { get; set; }

        public string Action { get; set; } = "";

        public string Actor { get; set; } = "";

        public string? Note { get; set; }

        public DateTimeOffset At { get; set; }
    }
}

internal sealed class SqlServerDeadLetterStore(StorageDatabase database, TimeProvider time) : DeadLetterStore(database, time, new(
    SqlServerStatements.DeadLetterAddOrUpdate,
    SqlServerStatements.DeadLetterGet,
    SqlServerStatements.DeadLetterQuery,
    SqlServerStatements.DeadLetterCount,
    SqlServerStatements.DeadLetterGroupByFingerprint,
    SqlServerStatements.DeadLetterChangeStatus,
    SqlServerStatements.DeadLetterChangeStatusOfLocation,
    SqlServerStatements.DeadLetterAuditTrail,
    SqlServerStatements.DeadLetterPurge));

internal sealed class PostgreSqlDeadLetterStore(StorageDatabase database, TimeProvider time) : DeadLetterStore(database, time, new(
    PostgreSqlStatements.DeadLetterAddOrUpdate,
    PostgreSqlStatements.DeadLetterGet,
    PostgreSqlStatements.DeadLetterQuery,
    PostgreSqlStatements.DeadLetterCount,
    PostgreSqlStatements.DeadLetterGroupByFingerprint,
    PostgreSqlStatements.DeadLetterChangeStatus,
    PostgreSqlStatements.DeadLetterChangeStatusOfLocation,
    PostgreSqlStatements.DeadLetterAuditTrail,
    PostgreSqlStatements.DeadLetterPurge));
