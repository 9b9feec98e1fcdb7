using Sync.Components.Consumers;
using Sync.Storage;

namespace Sync.Components.Import;

/// <summary>What to import.</summary>
/// <param name="LocationId">The location the contacts belong to (an installed one).</param>
/// <param name="Path">The snapshot file.</param>
/// <param name="Format">Its format; null: from the extension.</param>
/// <param name="Mapping">Which column feeds which field.</param>
public sealed record ImportRequest(string LocationId, string Path, SnapshotFormat? Format, SnapshotMapping Mapping)
{
    /// <summary>Rows per transaction (and per status query).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>
    /// Remember the ids of queued messages (new, and those an earlier run queued that are not done yet), to wait for them
    /// afterwards: 20 bytes each.
    /// </summary>
    public bool KeepQueued { get; init; }

    /// <summary>The most rejected rows listed with their reasons (all are counted).</summary>
    public int MaxListedRejections { get; init; } = 1000;
}

/// <summary>Where an import is.</summary>
/// <param name="Rows">Rows read so far (rejected ones included).</param>
/// <param name="Fraction">How far into the file, 0 to 1.</param>
public readonly record struct ImportProgress(long Rows, double Fraction);

/// <summary>What an import did.</summary>
public sealed class ImportResult
{
    /// <summary>Rows read, rejected ones included.</summary>
    public long Rows { get; internal set; }

    /// <summary>Rows enqueued as new events.</summary>
    public long Queued { get; internal set; }

    /// <summary>Rows whose event the worker already applied (an earlier import of the same content).</summary>
    public long AlreadyApplied { get; internal set; }

    /// <summary>Rows whose event is already queued (in the outbox or on its way), or that repeat an earlier row of the file.</summary>
    public long AlreadyQueued { get; internal set; }

    /// <summary>Rows whose event was dead-lettered earlier and not replayed (see <c>sync-admin dlq</c>).</summary>
    public long EarlierDeadLettered { get; internal set; }

    /// <summary>Rows left alone because the same content was handed over before: applied, queued or dead-lettered.</summary>
    public long Unchanged => AlreadyApplied + AlreadyQueued + EarlierDeadLettered;

    /// <summary>Rows rejected.</summary>
    public long RejectedCount { get; internal set; }

    /// <summary>The first rejected rows with their reasons, in file order.</summary>
    public List<RejectedRow> Rejected { get; } = [];

    /// <summary>Columns that fed no field.</summary>
    public IReadOnlyCollection<string> IgnoredColumns { get; internal set; } = [];

    /// <summary>The time given to rows without an occurredAt column value (the file's last write).</summary>
    public DateTimeOffset DefaultOccurredAt { get; internal set; }

    /// <summary>The messages queued now or still queued from before (with <see cref="ImportRequest.KeepQueued"/>), to wait for.</summary>
    public List<(Guid MessageId, int Line)> QueuedMessages { get; } = [];
}

/// <summary>Where the messages waited for ended.</summary>
/// <param name="Applied">Applied by the worker.</param>
/// <param name="DeadLettered">Dead-lettered, with the line and the reason.</param>
/// <param name="Pending">Still queued when the wait ended, with their lines.</param>
public sealed record ImportWaitResult(long Applied, IReadOnlyList<RejectedRow> DeadLettered, IReadOnlyList<int> Pending);

/// <summary>
/// Imports a snapshot file into a location through the path webhooks take when the broker is down: each row becomes a
/// source event (<see cref="ImportEvents"/>) written to the outbox in batches (one transaction each), which the worker's
/// relay publishes and the worker applies at the location's API budget, dropping through its inbox what it applied
/// before. Before each batch is written its ids are looked up (<see cref="IMessageStatusStore"/>): rows already applied,
/// queued or dead-lettered are counted unchanged and not written again. The file is streamed: the importer holds one
/// batch, the first rejections and (to wait) the queued ids.
/// </summary>
public sealed class ContactImporter(IUnitOfWorkFactory database, IOutboxStore outbox, IMessageStatusStore statuses, TimeProvider time)
{
    /// <summary>Reads the file and queues its new rows.</summary>
    /// <exception cref="SnapshotFileException">The file cannot be read at all (nothing is queued).</exception>
    public async Task<ImportResult> ImportAsync(ImportRequest request, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.BatchSize, 1);
        var defaultTime = new DateTimeOffset(File.GetLastWriteTimeUtc(request.Path), TimeSpan.Zero);
        using var reader = SnapshotReader.Open(request.Path, request.Format, request.Mapping);
        var result = new ImportResult { DefaultOccurredAt = defaultTime };
        var batch = new List<ImportEvents.QueuedEvent>(request.BatchSize);
        foreach (var record in reader.Records())
        {
            cancellationToken.ThrowIfCancellationRequested();
            result.Rows++;
            if (record.Row is null)
            {
                result.RejectedCount++;
                if (result.Rejected.Count < request.MaxListedRejections)
                {
                    result.Rejected.Add(new RejectedRow(record.Line, record.Rejection ?? "rejected"));
                }
            }
            else
            {
                batch.Add(ImportEvents.Upsert(request.LocationId, record.Row, defaultTime, time.GetUtcNow()));
                if (batch.Count >= request.BatchSize)
                {
                    await FlushAsync(batch, result, request.KeepQueued, cancellationToken);
                }
            }

            if (result.Rows % 100 == 0)
            {
                progress?.Report(new ImportProgress(result.Rows, Fraction(reader)));
            }
        }

        await FlushAsync(batch, result, request.KeepQueued, cancellationToken);
        progress?.Report(new ImportProgress(result.Rows, 1));
        result.IgnoredColumns = [.. reader.IgnoredColumns];
        return result;
    }

    /// <summary>
    /// Queues events in one transaction, except those the database already knows; returns how each one stood before
    /// (null: new, now queued). Used by the import's batches and by a diff's repair.
    /// </summary>
    public async Task<IReadOnlyList<MessageStanding?>> QueueAsync(IReadOnlyList<ImportEvents.QueuedEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var known = await statuses.GetStatusesAsync(WebhookReceivedConsumer.InboxName, events.Select(e => e.MessageId).Distinct().ToList(), cancellationToken);
        var standings = new MessageStanding?[events.Count];
        var fresh = new List<Storage.OutboxMessage>(events.Count);
        var seen = new HashSet<Guid>();
        for (var i = 0; i < events.Count; i++)
        {
            if (known.TryGetValue(events[i].MessageId, out var status))
            {
                standings[i] = status.Standing;
            }
            else if (!seen.Add(events[i].MessageId))
            {
                standings[i] = MessageStanding.Queued; // the same content twice in one batch
            }
            else
            {
                fresh.Add(events[i].Row);
            }
        }

        if (fresh.Count > 0)
        {
            await using var unitOfWork = await database.BeginAsync(cancellationToken);
            await outbox.EnqueueAsync(unitOfWork, fresh, cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
        }

        return standings;
    }

    /// <summary>
    /// Waits until every message of <paramref name="messages"/> is applied or dead-lettered, or <paramref name="timeout"/>
    /// passes; reports how many are done out of all.
    /// </summary>
    public async Task<ImportWaitResult> WaitAsync(
        IReadOnlyList<(Guid MessageId, int Line)> messages, TimeSpan timeout, TimeSpan pollInterval, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var pending = messages.ToList();
        var deadLettered = new List<RejectedRow>();
        long applied = 0;
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            var still = new List<(Guid MessageId, int Line)>(pending.Count);
            foreach (var chunk in pending.Chunk(2000))
            {
                var known = await statuses.GetStatusesAsync(WebhookReceivedConsumer.InboxName, chunk.Select(m => m.MessageId).ToList(), cancellationToken);
                foreach (var message in chunk)
                {
                    switch (known.GetValueOrDefault(message.MessageId)?.Standing)
                    {
                        case MessageStanding.Processed:
                            applied++;
                            break;
                        case MessageStanding.DeadLettered:
                            deadLettered.Add(new RejectedRow(message.Line, known[message.MessageId].Reason ?? "dead-lettered"));
                            break;
                        default:
                            still.Add(message);
                            break;
                    }
                }
            }

            pending = still;
            progress?.Report(messages.Count - pending.Count);
            if (pending.Count == 0 || time.GetUtcNow() >= deadline)
            {
                break;
            }

            await Task.Delay(pollInterval, time, cancellationToken);
        }

        deadLettered.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new ImportWaitResult(applied, deadLettered, pending.Select(p => p.Line).Order().ToList());
    }

    private async Task FlushAsync(List<ImportEvents.QueuedEvent> batch, ImportResult result, bool keep, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var standings = await QueueAsync(batch, cancellationToken);
        for (var i = 0; i < batch.Count; i++)
        {
            switch (standings[i])
            {
                case null:
                    result.Queued++;
                    if (keep)
                    {
                        result.QueuedMessages.Add((batch[i].MessageId, batch[i].Line));
                    }

                    break;
                case MessageStanding.Processed:
                    result.AlreadyApplied++;
                    break;
                case MessageStanding.DeadLettered:
                    result.EarlierDeadLettered++;
                    break;
                default:
                    result.AlreadyQueued++;
                    if (keep)
                    {
                        result.QueuedMessages.Add((batch[i].MessageId, batch[i].Line));
                    }

                    break;
            }
        }

        batch.Clear();
    }

    private static double Fraction(SnapshotReader reader) => reader.Length > 0 ? Math.Min(1, (double)reader.Position / reader.Length) : 1;
}
