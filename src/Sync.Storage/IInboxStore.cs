namespace Sync.Storage;

/// <summary>
/// Which messages each consumer has already applied: (consumer, message id) → processed at. Marking inside the
/// consumer's unit of work makes "applied" and "marked" one atomic fact, so a redelivered message changes nothing.
/// </summary>
public interface IInboxStore
{
    /// <summary>
    /// Records that <paramref name="consumer"/> processed <paramref name="messageId"/> inside the caller's unit of work.
    /// Returns true when the id is new; false when it was already recorded (by a committed or a concurrent transaction,
    /// which this call waits for). The record exists only if the unit of work commits.
    /// </summary>
    Task<bool> TryMarkProcessedAsync(IUnitOfWork unitOfWork, string consumer, Guid messageId, CancellationToken cancellationToken);

    /// <summary>
    /// Takes back, inside the unit of work that made it, a mark made by
    /// <see cref="TryMarkProcessedAsync(IUnitOfWork,string,Guid,CancellationToken)"/> or
    /// <see cref="IContactIndexStore.TryMarkAndAdvanceManyAsync"/>: for a message whose effect could not be made while
    /// others in the same unit of work commit theirs, so that its redelivery is applied, not dropped.
    /// </summary>
    Task UnmarkAsync(IUnitOfWork unitOfWork, string consumer, Guid messageId, CancellationToken cancellationToken);

    /// <summary>As <see cref="TryMarkProcessedAsync(IUnitOfWork,string,Guid,CancellationToken)"/>, in a transaction of its own.</summary>
    Task<bool> TryMarkProcessedAsync(string consumer, Guid messageId, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="consumer"/> has a committed record of <paramref name="messageId"/>.</summary>
    Task<bool> IsProcessedAsync(string consumer, Guid messageId, CancellationToken cancellationToken);

    /// <summary>Deletes records processed before <paramref name="processedBefore"/>, in batches; returns how many.</summary>
    Task<int> PurgeAsync(DateTimeOffset processedBefore, CancellationToken cancellationToken);
}
