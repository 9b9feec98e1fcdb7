using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>The reconcile lease over either provider.</summary>
internal abstract class ReconcileRunStore(StorageDatabase database, TimeProvider time, ReconcileRunStore.Statements sql) : IReconcileRunStore
{
    private const int MaxErrorLength = 1000;

    protected StorageDatabase Database { get; } = database;

    public async Task<bool> TryAcquireAsync(string locationId, string owner, TimeSpan lease, DateTimeOffset dueIfFinishedBefore, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var now = time.GetUtcNow();
        await using var connection = await Database.OpenAsync(cancellationToken);
        return await AcquireAsync(connection, new
        {
            LocationId = locationId,
            Owner = owner,
            Now = now,
            Until = now + lease,
            DueBefore = DbValues.Utc(dueIfFinishedBefore),
        }, cancellationToken);
    }

    public async Task<bool> RenewAsync(string locationId, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        var now = time.GetUtcNow();
        await using var connection = await Database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(Database.Command(
            sql.Renew, new { LocationId = locationId, Owner = owner, Now = now, Until = now + lease }, transaction: null, cancellationToken)) == 1;
    }

    public async Task FinishAsync(string locationId, string owner, ReconcileCounts counts, string? error, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentNullException.ThrowIfNull(counts);
        await using var connection = await Database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(Database.Command(sql.Finish, new
        {
            LocationId = locationId,
            Owner = owner,
            Now = time.GetUtcNow(),
            counts.ContactsSeen,
            counts.KeysAdded,
            counts.KeysRemoved,
            counts.ContactsRemoved,
            Error = DbValues.Truncate(error, MaxErrorLength),
        }, transaction: null, cancellationToken));
    }

    public async Task<ReconcileRun?> GetAsync(string locationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        await using var connection = await Database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(Database.Command(sql.Get, new { LocationId = locationId }, transaction: null, cancellationToken));
        return row is null
            ? null
            : new ReconcileRun(row.LocationId, row.LeaseOwner, row.LeaseUntil, row.StartedAt, row.FinishedAt, row.ContactsSeen, row.KeysAdded,
                row.KeysRemoved, row.ContactsRemoved, row.LastError);
    }

    /// <summary>Runs the acquire statement; true when the lease was taken.</summary>
    protected abstract Task<bool> AcquireAsync(System.Data.Common.DbConnection connection, object parameters, CancellationToken cancellationToken);

    internal sealed record Statements(string Acquire, string Renew, string Finish, string Get);

    private sealed class RunRow
    {
        public string LocationId { get; set; } = "";

        public string? LeaseOwner { get; set; }

        public DateTimeOffset? LeaseUntil { get; set; }

        public DateTimeOffset? StartedAt { get; set; }

        public DateTimeOffset? FinishedAt { get; set; }

        public int ContactsSeen { get; set; }

        public int KeysAdded { get; set; }

        public int KeysRemoved { get; set; }

        public int ContactsRemoved { get; set; }

        public string? LastError { get; set; }
    }
}

internal sealed class SqlServerReconcileRunStore(StorageDatabase database, TimeProvider time) : ReconcileRunStore(database, time, new(
    SqlServerStatements.ReconcileAcquire, SqlServerStatements.ReconcileRenew, SqlServerStatements.ReconcileFinish, SqlServerStatements.ReconcileGet))
{
    protected override async Task<bool> AcquireAsync(System.Data.Common.DbConnection connection, object parameters, CancellationToken cancellationToken)
    {
        // The existence check holds its range lock until the row is taken: one transaction.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var taken = await connection.ExecuteScalarAsync<int>(Database.Command(SqlServerStatements.ReconcileAcquire, parameters, transaction, cancellationToken)) == 1;
        await transaction.CommitAsync(cancellationToken);
        return taken;
    }
}

internal sealed class PostgreSqlReconcileRunStore(StorageDatabase database, TimeProvider time) : ReconcileRunStore(database, time, new(
    PostgreSqlStatements.ReconcileAcquire, PostgreSqlStatements.ReconcileRenew, PostgreSqlStatements.ReconcileFinish, PostgreSqlStatements.ReconcileGet))
{
    protected override async Task<bool> AcquireAsync(System.Data.Common.DbConnection connection, object parameters, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(Database.Command(PostgreSqlStatements.ReconcileAcquire, parameters, transaction: null, cancellationToken)) == 1;
}
