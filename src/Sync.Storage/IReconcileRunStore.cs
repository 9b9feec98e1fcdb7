namespace Sync.Storage;

/// <summary>
/// Per location, the lease that lets one process at a time rebuild the contact index from the CRM (a scheduled worker
/// run or <c>sync-admin reconcile</c>), and what the last run changed. A lease runs out on its own when its holder dies.
/// </summary>
public interface IReconcileRunStore
{
    /// <summary>
    /// Takes the location's lease for <paramref name="lease"/> as <paramref name="owner"/> when no one holds it and the
    /// last run finished at or before <paramref name="dueIfFinishedBefore"/> (<see cref="DateTimeOffset.MaxValue"/>: whenever it finished).
    /// Returns false when it is held or not due.
    /// </summary>
    Task<bool> TryAcquireAsync(string locationId, string owner, TimeSpan lease, DateTimeOffset dueIfFinishedBefore, CancellationToken cancellationToken);

    /// <summary>Extends a held lease; false when it is no longer <paramref name="owner"/>'s (it ran out and another took it).</summary>
    Task<bool> RenewAsync(string locationId, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Releases the lease and records the run's outcome (<paramref name="error"/> null when it succeeded).</summary>
    Task FinishAsync(string locationId, string owner, ReconcileCounts counts, string? error, CancellationToken cancellationToken);

    /// <summary>The location's last or current run, or null when none ever ran.</summary>
    Task<ReconcileRun?> GetAsync(string locationId, CancellationToken cancellationToken);
}

/// <summary>What a reconcile run changed.</summary>
/// <param name="ContactsSeen">Contacts the CRM listed.</param>
/// <param name="KeysAdded">Index keys added or pointed at another contact.</param>
/// <param name="KeysRemoved">Index keys removed that no longer belong to their contact (a changed email or phone).</param>
/// <param name="ContactsRemoved">Contacts the index knew that no longer exist in the CRM, forgotten with their keys.</param>
public sealed record ReconcileCounts(int ContactsSeen, int KeysAdded, int KeysRemoved, int ContactsRemoved);

/// <summary>A location's reconcile lease and last outcome.</summary>
public sealed record ReconcileRun(
    string LocationId,
    string? LeaseOwner,
    DateTimeOffset? LeaseUntil,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int ContactsSeen,
    int KeysAdded,
    int KeysRemoved,
    int ContactsRemoved,
    string? LastError);
