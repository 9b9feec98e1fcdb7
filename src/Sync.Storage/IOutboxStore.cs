namespace Sync.Storage;

/// <summary>
/// Messages waiting to be published. A producer enqueues inside its own transaction; any number of relays claim
/// due rows (<c>READPAST</c> / <c>SKIP LOCKED</c>) under a lease, publish them, and mark them sent.
/// </summary>
public interface IOutboxStore
{
    /// <summary>Enqueues messages inside the caller's unit of work: they exist only if it commits.</summary>
    Task EnqueueAsync(IUnitOfWork unitOfWork, IReadOnlyCollection<OutboxMessage> messages, CancellationToken cancellationToken);

    /// <summary>Enqueues one message in a transaction of its own (the ingress's spill when the broker is down).</summary>
    Task EnqueueAsync(OutboxMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="batchSize"/> due rows (available, unsent, not leased by a live relay) for
    /// <paramref name="relayId"/> until now + <paramref name="lease"/>, oldest first. A crashed relay's claim expires with its lease.
    /// </summary>
    Task<IReadOnlyList<ClaimedOutboxMessage>> ClaimAsync(string relayId, int batchSize, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Marks claimed rows as sent. Rows whose lease passed to another relay are left alone.</summary>
    Task MarkSentAsync(string relayId, IReadOnlyCollection<long> ids, CancellationToken cancellationToken);

    /// <summary>Gives a claimed row back, to be retried at <paramref name="availableAt"/>, recording the error.</summary>
    Task ReleaseAsync(string relayId, long id, DateTimeOffset availableAt, string? error, CancellationToken cancellationToken);

    /// <summary>Deletes a location's unsent rows inside the caller's unit of work (uninstall); returns how many.</summary>
    Task<int> DeletePendingAsync(IUnitOfWork unitOfWork, string locationId, CancellationToken cancellationToken);

    /// <summary>Deletes sent rows sent before <paramref name="sentBefore"/>; returns how many.</summary>
    Task<int> PurgeSentAsync(DateTimeOffset sentBefore, CancellationToken cancellationToken);

    /// <summary>How many rows are unsent, how many of them are due now, and since when the oldest due one has waited.</summary>
    Task<OutboxBacklog> GetBacklogAsync(CancellationToken cancellationToken);
}

/// <summary>The outbox's backlog at one moment.</summary>
/// <param name="Pending">Unsent rows, due or delayed.</param>
/// <param name="Due">Unsent rows whose time has come (they should be published by now).</param>
/// <param name="OldestDueAt">When the oldest due row became due; null when none is due.</param>
public sealed record OutboxBacklog(long Pending, long Due, DateTimeOffset? OldestDueAt);

/// <summary>A message to publish later.</summary>
/// <param name="MessageId">The message id it is published with (deterministic where the message derives from an event).</param>
/// <param name="MessageType">The contract's full CLR type name, e.g. <c>Sync.Contracts.WebhookReceived</c>.</param>
/// <param name="Destination">
/// Where to: <c>publish</c> for the type's exchange, a queue name to send to, or an exchange address
/// (<c>exchange:&lt;name&gt;?type=fanout</c>, e.g. a work queue's own exchange for a replay).
/// </param>
/// <param name="Body">The message serialized as JSON.</param>
/// <param name="Headers">Headers to publish with; may be empty.</param>
/// <param name="AvailableAt">Not published before this time (delayed work).</param>
public sealed record OutboxMessage(
    Guid MessageId,
    string MessageType,
    string Destination,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    DateTimeOffset AvailableAt)
{
    /// <summary>The location the message concerns, if any: an uninstall drops the location's unsent rows.</summary>
    public string? LocationId { get; init; }
}

/// <summary>An outbox row claimed by one relay.</summary>
public sealed record ClaimedOutboxMessage(
    long Id,
    Guid MessageId,
    string MessageType,
    string Destination,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    int Attempts);
