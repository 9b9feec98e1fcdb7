namespace Sync.Storage;

/// <summary>
/// The state of the worker's circuits (kill switches), as each process last reported it, so an operator sees in
/// <c>sync-admin dlq status</c> whether consumption is paused and why.
/// </summary>
public interface ICircuitStateStore
{
    /// <summary>Records a circuit's state for one owner (process), replacing what that owner reported before.</summary>
    Task UpsertAsync(CircuitState state, CancellationToken cancellationToken);

    /// <summary>Every recorded circuit state, by circuit then owner.</summary>
    Task<IReadOnlyList<CircuitState>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>A circuit's state as one process reported it.</summary>
/// <param name="Circuit">The circuit's name (e.g. <c>hoopai-api</c>).</param>
/// <param name="Owner">The process that reported it (machine/process id).</param>
/// <param name="State">Its state (e.g. <c>closed</c>, <c>open</c>, <c>half-open</c>).</param>
/// <param name="Reason">Why it is in that state, if known.</param>
/// <param name="ChangedAt">When it entered that state.</param>
public sealed record CircuitState(string Circuit, string Owner, string State, string? Reason, DateTimeOffset ChangedAt);

/// <summary>Read-only figures for an operator's status view that no single store owns.</summary>
public interface IOperationalStatusReader
{
    /// <summary>The outbox's unsent rows: how many, and when the oldest was created.</summary>
    Task<OutboxPendingSummary> GetOutboxBacklogAsync(CancellationToken cancellationToken);
}

/// <summary>The outbox's unsent rows.</summary>
/// <param name="Pending">How many rows wait to be published.</param>
/// <param name="OldestCreatedAt">When the oldest of them was written, if any.</param>
public sealed record OutboxPendingSummary(long Pending, DateTimeOffset? OldestCreatedAt);
