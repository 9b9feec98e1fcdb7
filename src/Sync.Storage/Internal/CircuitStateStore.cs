using Dapper;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>The circuit-state store over either provider; the SQL comes from the provider's statements class.</summary>
internal abstract class CircuitStateStore(StorageDatabase database, string upsert, string list) : ICircuitStateStore
{
    internal const int MaxNameLength = 200;
    internal const int MaxStateLength = 32;
    internal const int MaxReasonLength = 1000;

    public async Task UpsertAsync(CircuitState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentException.ThrowIfNullOrWhiteSpace(state.Circuit);
        ArgumentException.ThrowIfNullOrWhiteSpace(state.Owner);
        ArgumentException.ThrowIfNullOrWhiteSpace(state.State);
        var parameters = new
        {
            Circuit = DbValues.Truncate(state.Circuit, MaxNameLength),
            Owner = DbValues.Truncate(state.Owner, MaxNameLength),
            State = DbValues.Truncate(state.State, MaxStateLength),
            Reason = DbValues.Truncate(state.Reason, MaxReasonLength),
            ChangedAt = DbValues.Utc(state.ChangedAt),
        };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await database.InTransactionAsync(
                    (connection, transaction) => connection.ExecuteAsync(database.Command(upsert, parameters, transaction, cancellationToken)),
                    cancellationToken);
                return;
            }
            catch (Exception ex) when (attempt == 1 && DbErrors.IsDuplicateKey(ex))
            {
                // Another report of the same circuit and owner won the insert: run again, which now updates.
            }
        }
    }

    public async Task<IReadOnlyList<CircuitState>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(database.Command(list, null, transaction: null, cancellationToken));
        return rows.Select(r => new CircuitState(r.Circuit, r.Owner, r.State, r.Reason, r.ChangedAt)).ToList();
    }

    private sealed class Row
    {
        public string Circuit { get; set; } = "";

        public string Owner { get; set; } = "";

        public string State { get; set; } = "";

        public string? Reason { get; set; }

        public DateTimeOffset ChangedAt { get; set; }
    }
}

internal sealed class SqlServerCircuitStateStore(StorageDatabase database)
    : CircuitStateStore(database, SqlServerStatements.CircuitStateUpsert, SqlServerStatements.CircuitStateList);

internal sealed class PostgreSqlCircuitStateStore(StorageDatabase database)
    : CircuitStateStore(database, PostgreSqlStatements.CircuitStateUpsert, PostgreSqlStatements.CircuitStateList);

/// <summary>Status figures over either provider.</summary>
internal abstract class OperationalStatusReader(StorageDatabase database, string backlog) : IOperationalStatusReader
{
    public async Task<OutboxPendingSummary> GetOutboxBacklogAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<BacklogRow>(database.Command(backlog, null, transaction: null, cancellationToken));
        return new OutboxPendingSummary(row.Pending, row.OldestCreatedAt);
    }

    private sealed class BacklogRow
    {
        public long Pending { get; set; }

        public DateTimeOffset? OldestCreatedAt { get; set; }
    }
}

internal sealed class SqlServerOperationalStatusReader(StorageDatabase database)
    : OperationalStatusReader(database, SqlServerStatements.OutboxPendingSummary);

internal sealed class PostgreSqlOperationalStatusReader(StorageDatabase database)
    : OperationalStatusReader(database, PostgreSqlStatements.OutboxPendingSummary);
