namespace Sync.Storage;

/// <summary>
/// Messages that failed for good, moved out of the broker's <c>_error</c> queues so operators can search, group, replay
/// and discard them. A message that fails again updates its row (last failure, count) rather than adding one. Every
/// operator action is recorded in an audit trail.
/// </summary>
public interface IDeadLetterStore
{
    /// <summary>
    /// Adds a failure, or — when a row with the same (source queue, message id) exists — updates it: the latest body,
    /// headers and fault replace the old, the failure count goes up, the last failure time moves on and the status
    /// returns to <see cref="DeadLetterStatus.New"/>.
    /// </summary>
    Task<DeadLetterWriteResult> AddOrUpdateAsync(DeadLetterFailure failure, CancellationToken cancellationToken);

    /// <summary>One dead letter, or null.</summary>
    Task<DeadLetter?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>A page of dead letters matching <paramref name="filter"/>, most recent failure first, with the total count.</summary>
    Task<DeadLetterPage> QueryAsync(DeadLetterFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Dead letters matching <paramref name="filter"/> grouped by <see cref="DeadLetter.Fingerprint"/>, largest group
    /// first (paging fields of the filter apply to the groups).
    /// </summary>
    Task<IReadOnlyList<DeadLetterGroup>> GroupByFingerprintAsync(DeadLetterFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Marks a dead letter replayed (replay count + 1) with an audit entry, inside the caller's unit of work — the same
    /// one that enqueues the message to the outbox. Returns false when no such dead letter exists.
    /// </summary>
    Task<bool> MarkReplayedAsync(IUnitOfWork unitOfWork, Guid id, string actor, string? note, CancellationToken cancellationToken);

    /// <summary>Marks a dead letter discarded with an audit entry. Returns false when no such dead letter exists.</summary>
    Task<bool> DiscardAsync(Guid id, string actor, string? note, CancellationToken cancellationToken);

    /// <summary>
    /// Discards, with an audit entry each, every <see cref="DeadLetterStatus.New"/> dead letter of a location (uninstall),
    /// inside the caller's unit of work. Returns how many.
    /// </summary>
    Task<int> DiscardLocationAsync(IUnitOfWork unitOfWork, string locationId, string actor, string? note, CancellationToken cancellationToken);

    /// <summary>The audit trail of a dead letter, oldest first.</summary>
    Task<IReadOnlyList<DeadLetterAuditEntry>> GetAuditTrailAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Marks a dead letter replayed as an edited, new message (replay count + 1, audit action
    /// <see cref="DeadLetterAction.Edited"/>) inside the caller's unit of work, the one that enqueues the edited
    /// message. The original row and body are kept. Returns false when no such dead letter exists.
    /// </summary>
    Task<bool> MarkEditedAsync(IUnitOfWork unitOfWork, Guid id, string actor, string? note, CancellationToken cancellationToken);

    /// <summary>
    /// Retention: deletes dead letters (and their audit trail) whose last failure is before <paramref name="lastFailedBefore"/>.
    /// Only replayed and discarded ones unless <paramref name="includeNew"/>. Returns how many.
    /// </summary>
    Task<int> PurgeAsync(DateTimeOffset lastFailedBefore, bool includeNew, CancellationToken cancellationToken);
}

/// <summary>Where a dead letter stands.</summary>
public enum DeadLetterStatus
{
    /// <summary>Waiting for an operator.</summary>
    New,

    /// <summary>Sent back for processing.</summary>
    Replayed,

    /// <summary>Dropped by an operator (or because its location was uninstalled).</summary>
    Discarded,
}

/// <summary>An operator action on dead letters.</summary>
public enum DeadLetterAction
{
    /// <summary>Sent back for processing.</summary>
    Replayed,

    /// <summary>Dropped.</summary>
    Discarded,

    /// <summary>Its body was changed and sent back as a new message.</summary>
    Edited,
}

/// <summary>A failure to record.</summary>
/// <param name="SourceQueue">The queue the message failed on (not its <c>_error</c> queue).</param>
/// <param name="MessageId">The message's id (MassTransit <c>MessageId</c>); with the queue, identifies the row.</param>
/// <param name="MessageType">The message's type (first of MassTransit's message types), if known.</param>
/// <param name="LocationId">The location the message belongs to, if known.</param>
/// <param name="Body">The message body as received.</param>
/// <param name="Headers">The transport headers (including <c>MT-Fault-*</c>).</param>
/// <param name="FaultType">The exception type, if known.</param>
/// <param name="FaultMessage">The exception message, if known.</param>
/// <param name="FaultStackTrace">The stack trace, if known.</param>
/// <param name="Classification">How the failure was classified (e.g. <c>Validation</c>, <c>Auth</c>, <c>Transient</c>).</param>
/// <param name="FailedAt">When it failed.</param>
public sealed record DeadLetterFailure(
    string SourceQueue,
    string MessageId,
    string? MessageType,
    string? LocationId,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    string? FaultType,
    string? FaultMessage,
    string? FaultStackTrace,
    string Classification,
    DateTimeOffset FailedAt)
{
    /// <summary>The last HTTP status the API answered, when known.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The API's answer, cut short and without tokens, when known.</summary>
    public string? ApiAnswer { get; init; }

    /// <summary>How many times the message was tried in all, when known.</summary>
    public int? Attempts { get; init; }

    /// <summary>The consumer that failed (type name or endpoint), when known.</summary>
    public string? Consumer { get; init; }

    /// <summary>
    /// The dead letter this message is a replay of (header <c>Sync-Replay-Of</c>): a replay that fails again is a new
    /// occurrence, a row of its own linked to the first, not a bump of the replayed row.
    /// </summary>
    public Guid? ReplayOf { get; init; }
}

/// <summary>The outcome of <see cref="IDeadLetterStore.AddOrUpdateAsync"/>.</summary>
/// <param name="Id">The dead letter's id.</param>
/// <param name="Created">True when a row was added; false when an existing one was updated.</param>
public sealed record DeadLetterWriteResult(Guid Id, bool Created);

/// <summary>A stored dead letter.</summary>
/// <param name="Id">Its id.</param>
/// <param name="SourceQueue">The queue the message failed on.</param>
/// <param name="MessageId">The message's id.</param>
/// <param name="MessageType">The message's type, if known.</param>
/// <param name="LocationId">Its location, if known.</param>
/// <param name="Body">The message body.</param>
/// <param name="Headers">The transport headers.</param>
/// <param name="FaultType">The exception type, if known.</param>
/// <param name="FaultMessage">The exception message, if known.</param>
/// <param name="FaultStackTrace">The stack trace, if known.</param>
/// <param name="Classification">How the failure was classified.</param>
/// <param name="Fingerprint">Groups alike failures: see <see cref="DeadLetterFingerprint"/>.</param>
/// <param name="FirstFailedAt">First failure.</param>
/// <param name="LastFailedAt">Latest failure.</param>
/// <param name="FailureCount">How many times it reached the dead-letter store.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="ReplayCount">How many times it was replayed.</param>
/// <param name="StatusChangedAt">When the status last changed.</param>
public sealed record DeadLetter(
    Guid Id,
    string SourceQueue,
    string MessageId,
    string? MessageType,
    string? LocationId,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    string? FaultType,
    string? FaultMessage,
    string? FaultStackTrace,
    string Classification,
    string Fingerprint,
    DateTimeOffset FirstFailedAt,
    DateTimeOffset LastFailedAt,
    int FailureCount,
    DeadLetterStatus Status,
    int ReplayCount,
    DateTimeOffset StatusChangedAt)
{
    /// <summary>The last HTTP status the API answered, when known.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The API's answer, cut short and without tokens, when known.</summary>
    public string? ApiAnswer { get; init; }

    /// <summary>How many times the message was tried in all, when known.</summary>
    public int? Attempts { get; init; }

    /// <summary>The consumer that failed, when known.</summary>
    public string? Consumer { get; init; }

    /// <summary>The dead letter this one is a failed replay of, if any.</summary>
    public Guid? ReplayOf { get; init; }
}

/// <summary>Which dead letters to list or group; every field set narrows the selection.</summary>
public sealed record DeadLetterFilter
{
    /// <summary>Largest page size.</summary>
    public const int MaxTake = 1000;

    /// <summary>Only this status.</summary>
    public DeadLetterStatus? Status { get; init; }

    /// <summary>Only from this queue.</summary>
    public string? SourceQueue { get; init; }

    /// <summary>Only this message type.</summary>
    public string? MessageType { get; init; }

    /// <summary>Only this location.</summary>
    public string? LocationId { get; init; }

    /// <summary>Only this fingerprint.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>Only this classification (e.g. <c>permanent</c>, <c>authentication</c>, <c>poison</c>).</summary>
    public string? Classification { get; init; }

    /// <summary>Only those whose fault message, API answer or body contains this text (case-insensitive on PostgreSQL; per the collation on SQL Server).</summary>
    public string? Text { get; init; }

    /// <summary>Only those whose last failure is at or after this time.</summary>
    public DateTimeOffset? LastFailedFrom { get; init; }

    /// <summary>Only those whose last failure is before this time.</summary>
    public DateTimeOffset? LastFailedBefore { get; init; }

    /// <summary>How many to skip (default 0).</summary>
    public int Skip { get; init; }

    /// <summary>How many to return (default 50, at most <see cref="MaxTake"/>).</summary>
    public int Take { get; init; } = 50;
}

/// <summary>One page of a dead-letter query.</summary>
/// <param name="Items">The dead letters on this page.</param>
/// <param name="Total">How many match the filter in all.</param>
public sealed record DeadLetterPage(IReadOnlyList<DeadLetter> Items, long Total);

/// <summary>Dead letters sharing a fingerprint.</summary>
/// <param name="Fingerprint">The fingerprint.</param>
/// <param name="Count">How many dead letters have it.</param>
/// <param name="MessageType">A message type of the group (they share one unless hashes collide).</param>
/// <param name="FaultType">A fault type of the group.</param>
/// <param name="SampleFaultMessage">One fault message of the group.</param>
/// <param name="FirstFailedAt">Earliest first failure in the group.</param>
/// <param name="LastFailedAt">Latest failure in the group.</param>
public sealed record DeadLetterGroup(
    string Fingerprint,
    long Count,
    string? MessageType,
    string? FaultType,
    string? SampleFaultMessage,
    DateTimeOffset FirstFailedAt,
    DateTimeOffset LastFailedAt)
{
    /// <summary>A classification of the group.</summary>
    public string? Classification { get; init; }

    /// <summary>How many distinct locations the group's dead letters belong to.</summary>
    public long LocationCount { get; init; }

    /// <summary>One location of the group, if any has one.</summary>
    public string? SampleLocationId { get; init; }

    /// <summary>One dead letter of the group, to <c>show</c> as an example.</summary>
    public Guid? ExampleId { get; init; }
}

/// <summary>One operator action on a dead letter.</summary>
/// <param name="DeadLetterId">The dead letter acted on.</param>
/// <param name="Action">What was done.</param>
/// <param name="Actor">Who did it.</param>
/// <param name="Note">Why, if given.</param>
/// <param name="At">When.</param>
public sealed record DeadLetterAuditEntry(Guid DeadLetterId, DeadLetterAction Action, string Actor, string? Note, DateTimeOffset At);
