namespace Sync.Storage;

/// <summary>
/// Messages waiting to be published. A producer enqueues inside its own transaction; any number of relays claim
/// due rows under row locks (<c>READPAST</c> / <c>SKIP LOCKED</c>), publish them, and complete the claim: sent rows are
/// marked sent and failed ones given back for a later attempt, in the claim's transaction.
/// </summary>
public interface IOutboxStore
{
    /// <summary>Enqueues messages inside the caller's unit of work: they exist only if it commits.</summary>
    Task EnqueueAsync(IUnitOfWork unitOfWork, IReadOnlyCollection<OutboxMessage> messages, CancellationToken cancellationToken);

    /// <summary>Enqueues one message in a transaction of its own (the ingress's spill when the broker is down).</summary>
    Task EnqueueAsync(OutboxMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="batchSize"/> due rows (available, unsent, not held by another relay), oldest first.
    /// The claim is a row lock held by a transaction of the claim's own (<c>UPDLOCK, READPAST</c> /
    /// <c>FOR UPDATE SKIP LOCKED</c>): other relays skip the rows while it lasts, and the rows are not written until the
    /// outcome is known (<see cref="IOutboxClaim.CompleteAsync"/>). A claim disposed without completing, or whose
    /// connection ends (a relay that crashed), gives its rows back at once, untouched. On PostgreSQL a claim left idle
    /// for longer than <paramref name="lease"/> is ended by the database (a relay that hangs).
    /// </summary>
    Task<IOutboxClaim> ClaimAsync(int batchSize, TimeSpan lease, CancellationToken cancellationToken);

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

/// <summary>
/// Rows claimed by one relay, locked by the claim's transaction until <see cref="CompleteAsync"/> commits the outcome.
/// Disposing without completing rolls back: the rows are due again at once, their attempts unchanged.
/// </summary>
public interface IOutboxClaim : IAsyncDisposable
{
    /// <summary>The claimed rows, oldest first; empty when nothing was due.</summary>
    IReadOnlyList<ClaimedOutboxMessage> Messages { get; }

    /// <summary>
    /// Marks <paramref name="sent"/> rows sent and gives <paramref name="retries"/> back, each due again at its time with
    /// its error and one more attempt counted, then commits. Ids that are not this claim's are ignored.
    /// </summary>
    Task CompleteAsync(IReadOnlyCollection<long> sent, IReadOnlyCollection<OutboxRetry> retries, CancellationToken cancellationToken);
}

/// <summary>A claimed row whose publish failed: try again at <paramref name="AvailableAt"/>.</summary>
/// <param name="Id">The row's id (<see cref="ClaimedOutboxMessage.Id"/>).</param>
/// <param name="AvailableAt">When the row is due again.</param>
/// <param name="Error">Why the publish failed; kept on the row for operators.</param>
public sealed record OutboxRetry(long Id, DateTimeOffset AvailableAt, string? Error);

/// <summary>An outbox row claimed by one relay.</summary>
public sealed record ClaimedOutboxMessage(
    long Id,
    Guid MessageId,
    string MessageType,
    string Destination,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    int Attempts);
