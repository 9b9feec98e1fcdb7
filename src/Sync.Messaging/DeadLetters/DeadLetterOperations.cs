using System.Text.Json;
using Sync.Messaging.Redelivery;
using Sync.Storage;

namespace Sync.Messaging.DeadLetters;

/// <summary>
/// What operators do with dead letters, shared by <c>sync-admin dlq</c> and the admin HTTP API: query and group,
/// replay (one, a list, a group or a filter; throttled; through the outbox, in the same unit of work that marks the
/// dead letter replayed, so a replay is durable and happens once), edit and replay, discard, export, purge, and the
/// status of queues, outbox, groups and circuits.
/// </summary>
public sealed class DeadLetterOperations(
    IDeadLetterStore store,
    IOutboxStore outbox,
    IUnitOfWorkFactory unitsOfWork,
    ICircuitStateStore circuits,
    IOperationalStatusReader statusReader,
    BrokerQueueInspector queues,
    TimeProvider time)
{
    /// <summary>Most dead letters one bulk replay or export selects.</summary>
    public const int MaxSelection = 100_000;

    /// <summary>A page of dead letters.</summary>
    public Task<DeadLetterPage> ListAsync(DeadLetterFilter filter, CancellationToken cancellationToken) => store.QueryAsync(filter, cancellationToken);

    /// <summary>Dead letters grouped by fingerprint, largest group first.</summary>
    public Task<IReadOnlyList<DeadLetterGroup>> GroupsAsync(DeadLetterFilter filter, CancellationToken cancellationToken) =>
        store.GroupByFingerprintAsync(filter, cancellationToken);

    /// <summary>One dead letter, or null.</summary>
    public Task<DeadLetter?> GetAsync(Guid id, CancellationToken cancellationToken) => store.GetAsync(id, cancellationToken);

    /// <summary>The audit trail of one dead letter.</summary>
    public Task<IReadOnlyList<DeadLetterAuditEntry>> AuditTrailAsync(Guid id, CancellationToken cancellationToken) =>
        store.GetAuditTrailAsync(id, cancellationToken);

    /// <summary>Every dead letter matching <paramref name="filter"/> (its paging ignored), most recent first.</summary>
    public async Task<IReadOnlyList<DeadLetter>> SelectAsync(DeadLetterFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var all = new List<DeadLetter>();

        // Keyset-free paging is safe here: selection happens before anything is changed.
        for (var skip = 0; all.Count < MaxSelection; skip += DeadLetterFilter.MaxTake)
        {
            var page = await store.QueryAsync(filter with { Skip = skip, Take = DeadLetterFilter.MaxTake }, cancellationToken);
            all.AddRange(page.Items);
            if (page.Items.Count < DeadLetterFilter.MaxTake)
            {
                break;
            }
        }

        return all;
    }

    /// <summary>
    /// Replays dead letters by id, at most <paramref name="ratePerSecond"/> a second (each replay holds a slot of
    /// 1/rate s). Only dead letters waiting for an operator (<see cref="DeadLetterStatus.New"/>) are replayed; others are
    /// reported as skipped. With <paramref name="dryRun"/> nothing changes: the result says what would be replayed.
    /// </summary>
    public async Task<ReplayResult> ReplayAsync(
        IReadOnlyList<Guid> ids, string actor, double? ratePerSecond, bool dryRun, IProgress<ReplayOutcome>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (ratePerSecond is { } r && (r <= 0 || double.IsNaN(r) || double.IsInfinity(r)))
        {
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "The rate must be a positive number of replays per second.");
        }

        var outcomes = new List<ReplayOutcome>(ids.Count);
        var started = time.GetTimestamp();
        var sent = 0;
        foreach (var id in ids)
        {
            var outcome = await ReplayOneAsync(id, actor, dryRun, cancellationToken);
            outcomes.Add(outcome);
            progress?.Report(outcome);
            if (ratePerSecond is { } rate && outcome.Kind == ReplayOutcomeKind.Replayed)
            {
                // The n-th replay's slot ends n / rate after the start: N replays take at least N / rate.
                var slotEnds = TimeSpan.FromSeconds(++sent / rate);
                var wait = slotEnds - time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, cancellationToken);
                }
            }
        }

        return new ReplayResult(outcomes, dryRun);
    }

    /// <summary>Replays one dead letter (see <see cref="ReplayAsync"/>).</summary>
    public async Task<ReplayOutcome> ReplayOneAsync(Guid id, string actor, bool dryRun, CancellationToken cancellationToken)
    {
        var deadLetter = await store.GetAsync(id, cancellationToken);
        if (deadLetter is null)
        {
            return new ReplayOutcome(id, ReplayOutcomeKind.NotFound, "no such dead letter", null);
        }

        if (deadLetter.Status != DeadLetterStatus.New)
        {
            return new ReplayOutcome(id, ReplayOutcomeKind.Skipped, $"already {deadLetter.Status.ToString().ToLowerInvariant()}", null);
        }

        OutboxMessage row;
        try
        {
            row = ReplayMessageBuilder.ForReplay(deadLetter, time.GetUtcNow());
        }
        catch (DeadLetterRefusedException ex)
        {
            return new ReplayOutcome(id, ReplayOutcomeKind.Refused, ex.Message, null);
        }

        if (dryRun)
        {
            return new ReplayOutcome(id, ReplayOutcomeKind.WouldReplay, $"would be sent to {deadLetter.SourceQueue}", row.MessageId);
        }

        await using (var unitOfWork = await unitsOfWork.BeginAsync(cancellationToken))
        {
            if (!await store.MarkReplayedAsync(unitOfWork, id, actor, $"sent to {deadLetter.SourceQueue} as message {row.MessageId}", cancellationToken))
            {
                return new ReplayOutcome(id, ReplayOutcomeKind.NotFound, "no such dead letter", null);
            }

            await outbox.EnqueueAsync(unitOfWork, [row], cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
        }

        return new ReplayOutcome(id, ReplayOutcomeKind.Replayed, $"sent to {deadLetter.SourceQueue}", row.MessageId);
    }

    /// <summary>
    /// Sends an edited body as a new message to the queue the dead letter failed on, after checking it against the
    /// message's contract; the original is kept and marked (audit action <see cref="DeadLetterAction.Edited"/>).
    /// </summary>
    /// <exception cref="DeadLetterRefusedException">Unknown dead letter, not waiting for an operator, or a body that does not fit the contract.</exception>
    public async Task<ReplayOutcome> EditAndReplayAsync(Guid id, string editedMessage, string actor, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(editedMessage);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var deadLetter = await store.GetAsync(id, cancellationToken)
                         ?? throw new DeadLetterRefusedException($"no dead letter {id}.");
        if (deadLetter.Status != DeadLetterStatus.New)
        {
            throw new DeadLetterRefusedException($"dead letter {id} is already {deadLetter.Status.ToString().ToLowerInvariant()}.");
        }

        var row = ReplayMessageBuilder.ForEdit(deadLetter, editedMessage, time.GetUtcNow());
        if (dryRun)
        {
            return new ReplayOutcome(id, ReplayOutcomeKind.WouldReplay, $"edited body is valid; would be sent to {deadLetter.SourceQueue}", row.MessageId);
        }

        await using (var unitOfWork = await unitsOfWork.BeginAsync(cancellationToken))
        {
            if (!await store.MarkEditedAsync(unitOfWork, id, actor, $"edited; sent to {deadLetter.SourceQueue} as new message {row.MessageId}", cancellationToken))
            {
                throw new DeadLetterRefusedException($"no dead letter {id}.");
            }

            await outbox.EnqueueAsync(unitOfWork, [row], cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
        }

        return new ReplayOutcome(id, ReplayOutcomeKind.Replayed, $"edited and sent to {deadLetter.SourceQueue}", row.MessageId);
    }

    /// <summary>Discards a dead letter with an audit entry; false when there is none.</summary>
    public Task<bool> DiscardAsync(Guid id, string actor, string? note, CancellationToken cancellationToken) =>
        store.DiscardAsync(id, actor, note, cancellationToken);

    /// <summary>Retention: deletes dead letters whose last failure is older than <paramref name="olderThan"/> (see <see cref="IDeadLetterStore.PurgeAsync"/>).</summary>
    public Task<int> PurgeAsync(TimeSpan olderThan, bool includeNew, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(olderThan, TimeSpan.Zero);
        return store.PurgeAsync(time.GetUtcNow() - olderThan, includeNew, cancellationToken);
    }

    /// <summary>Writes the matching dead letters as JSON lines (detailed views); returns how many.</summary>
    public async Task<int> ExportAsync(DeadLetterFilter filter, TextWriter writer, bool includePersonalData, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var options = new JsonSerializerOptions(DeadLetterView.JsonOptions) { WriteIndented = false };
        var selected = await SelectAsync(filter, cancellationToken);
        foreach (var deadLetter in selected)
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(DeadLetterView.From(deadLetter, detailed: true, includePersonalData), options).AsMemory(), cancellationToken);
        }

        return selected.Count;
    }

    /// <summary>Queue depths and consumers, outbox backlog, open dead letters per group, and the circuits.</summary>
    public async Task<OperationsStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var (queue, _) in RedeliveryTopologyInitializer.WorkQueues)
        {
            names.Add(queue);
            names.Add(queue + DeadLetterEnvelopeReader.ErrorQueueSuffix);
        }

        names.Add(WorkQueuePolicy.PoisonQueue);
        IReadOnlyList<QueueDepth> depths = [];
        string? brokerError = null;
        try
        {
            depths = await queues.InspectAsync(names, cancellationToken);
        }
        catch (BrokerUnavailableException ex)
        {
            brokerError = ex.Message;
        }

        var backlog = await statusReader.GetOutboxBacklogAsync(cancellationToken);
        var groups = await store.GroupByFingerprintAsync(new DeadLetterFilter { Status = DeadLetterStatus.New, Take = 20 }, cancellationToken);
        var circuitStates = await circuits.ListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return new OperationsStatus(
            depths,
            brokerError,
            backlog.Pending,
            backlog.OldestCreatedAt is { } oldest ? now - oldest : null,
            groups,
            circuitStates);
    }
}

/// <summary>What happened to one dead letter in a replay.</summary>
public enum ReplayOutcomeKind
{
    /// <summary>Sent back through the outbox.</summary>
    Replayed,

    /// <summary>Dry run: would have been sent.</summary>
    WouldReplay,

    /// <summary>Not waiting for an operator (already replayed or discarded).</summary>
    Skipped,

    /// <summary>Cannot be replayed as stored (unknown type, unreadable body).</summary>
    Refused,

    /// <summary>No such dead letter.</summary>
    NotFound,
}

/// <summary>One dead letter's replay outcome.</summary>
/// <param name="Id">The dead letter.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Detail">Where it went, or why not.</param>
/// <param name="MessageId">The replayed message's id, when sent or when it would be.</param>
public sealed record ReplayOutcome(Guid Id, ReplayOutcomeKind Kind, string Detail, Guid? MessageId);

/// <summary>A replay's outcomes.</summary>
/// <param name="Outcomes">One per dead letter asked for, in order.</param>
/// <param name="DryRun">True when nothing was changed.</param>
public sealed record ReplayResult(IReadOnlyList<ReplayOutcome> Outcomes, bool DryRun)
{
    /// <summary>How many were replayed (or would be, in a dry run).</summary>
    public int Replayed => Outcomes.Count(o => o.Kind is ReplayOutcomeKind.Replayed or ReplayOutcomeKind.WouldReplay);
}

/// <summary>An operator's overview.</summary>
/// <param name="Queues">Work, error and poison queues: depth and consumers.</param>
/// <param name="BrokerError">Why the queues could not be read, when the broker was unreachable.</param>
/// <param name="OutboxPending">Unsent outbox rows.</param>
/// <param name="OutboxOldestAge">Age of the oldest unsent row.</param>
/// <param name="Groups">Dead letters waiting for an operator, per group (largest 20).</param>
/// <param name="Circuits">The circuits as each worker reported them.</param>
public sealed record OperationsStatus(
    IReadOnlyList<QueueDepth> Queues,
    string? BrokerError,
    long OutboxPending,
    TimeSpan? OutboxOldestAge,
    IReadOnlyList<DeadLetterGroup> Groups,
    IReadOnlyList<CircuitState> Circuits);
