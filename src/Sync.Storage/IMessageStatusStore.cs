namespace Sync.Storage;

/// <summary>
/// Where messages with known ids stand: applied by a consumer (its inbox), waiting in or published from the outbox, or
/// dead-lettered. A bulk producer (an import) asks before enqueueing, so a message it already handed over is not
/// handed over twice, and asks again to wait until its messages are done.
/// </summary>
public interface IMessageStatusStore
{
    /// <summary>
    /// The standing of each of <paramref name="messageIds"/> that the database knows; ids it has never seen are absent
    /// from the answer. A message the consumer applied is <see cref="MessageStanding.Processed"/> whatever else holds it.
    /// </summary>
    /// <param name="consumer">The inbox name of the consumer that applies the messages (e.g. <c>webhook-received</c>).</param>
    /// <param name="messageIds">The ids to look up: at most a few thousand at a time.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<IReadOnlyDictionary<Guid, MessageStatus>> GetStatusesAsync(string consumer, IReadOnlyCollection<Guid> messageIds, CancellationToken cancellationToken);
}

/// <summary>Where one message stands.</summary>
public enum MessageStanding
{
    /// <summary>In the outbox (unsent, or published and not yet applied or dead-lettered).</summary>
    Queued,

    /// <summary>Failed for good: a new dead letter (not replayed or discarded).</summary>
    DeadLettered,

    /// <summary>The consumer applied it.</summary>
    Processed,
}

/// <summary>The standing of one message.</summary>
/// <param name="MessageId">The message.</param>
/// <param name="Standing">Where it stands.</param>
/// <param name="Reason">Why it was dead-lettered (the fault's message), for <see cref="MessageStanding.DeadLettered"/>.</param>
public sealed record MessageStatus(Guid MessageId, MessageStanding Standing, string? Reason);
