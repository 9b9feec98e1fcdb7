using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.Storage;

namespace Sync.Components.Consumers;

/// <summary>
/// Group commit for contact upserts: the upserts one process applies at once share a unit of work. Each consumer enters
/// its message (<see cref="EnterAsync"/>); the messages waiting are marked in the inbox and guarded together, in one round
/// trip; each consumer then calls the API for its own message and hands back its index keys and tag commands
/// (<see cref="Entry.CommitAsync"/>) or gives up (<see cref="Entry.Abandon"/>); once every member is done, the abandoned
/// ones are taken back (inbox mark and guard changes) and the rest are indexed and committed together, in one more
/// round trip. A message is acknowledged only after its batch has committed, and one that failed is redelivered and
/// applied alone, as before.
/// </summary>
/// <remarks>
/// A batch holds its contacts' guard rows from its first statement to its commit, as one message's unit of work did, so
/// two events of one contact still apply one after the other. In this process a second event of a contact held by an
/// open batch waits in <see cref="EnterAsync"/> until that batch ends, rather than block the next batch's statement (and
/// every member in it) on the lock; another process's batch waits on the lock itself. A batch never holds a message id
/// twice, so a duplicate delivered alongside its original is found a duplicate once the original commits.
/// </remarks>
public sealed partial class UpsertBatcher(
    IUnitOfWorkFactory database,
    IContactIndexStore index,
    IInboxStore inbox,
    IOutboxStore outbox,
    IOptions<WorkerOptions> options,
    ILogger<UpsertBatcher> logger)
{
    private readonly Lock _gate = new();
    private readonly List<Entry> _pending = [];
    private readonly HashSet<(string LocationId, string ContactId)> _openContacts = [];
    private readonly HashSet<Guid> _openMessages = [];
    private readonly int _maxBatch = options.Value.UpsertBatchSize;
    private readonly int _concurrency = options.Value.UpsertBatchConcurrency;
    private int _entering;

    /// <summary>
    /// Enters <paramref name="mark"/> (a message of <paramref name="consumer"/>) in the next batch, and returns once the
    /// batch has marked and guarded it: <see cref="Entry.Fresh"/> is then null for a message already processed (nothing
    /// more to do), else the guard changes found fresh, and the caller must end the entry with
    /// <see cref="Entry.CommitAsync"/> or <see cref="Entry.Abandon"/>.
    /// </summary>
    public async Task<Entry> EnterAsync(string consumer, GuardedMark mark, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        ArgumentNullException.ThrowIfNull(mark);
        var entry = new Entry(consumer, mark);
        lock (_gate)
        {
            _pending.Add(entry);
            StartBatchesLocked();
        }

        try
        {
            entry.Fresh = await entry.Entered.Task.WaitAsync(cancellationToken);
            return entry;
        }
        catch
        {
            // Not entered (cancelled) or the batch failed: a batch that takes it later takes it back again.
            entry.Abandon();
            throw;
        }
    }

    private void StartBatchesLocked()
    {
        while (_entering < _concurrency && _pending.Count > 0)
        {
            var batch = new List<Entry>();
            for (var i = 0; i < _pending.Count && batch.Count < _maxBatch;)
            {
                var entry = _pending[i];
                var contact = (entry.Mark.LocationId, entry.Mark.ContactId);
                if (_openContacts.Contains(contact) || _openMessages.Contains(entry.Mark.MessageId) ||
                    (batch.Count > 0 && !string.Equals(batch[0].Consumer, entry.Consumer, StringComparison.Ordinal)))
                {
                    i++; // waits for the batch that holds its contact (or message) to end
                    continue;
                }

                _openContacts.Add(contact);
                _openMessages.Add(entry.Mark.MessageId);
                batch.Add(entry);
                _pending.RemoveAt(i);
            }

            if (batch.Count == 0)
            {
                return; // everything waiting waits for an open batch
            }

            _entering++;
            _ = Task.Run(() => RunAsync(batch));
        }
    }

    private async Task RunAsync(List<Entry> batch)
    {
        var entering = true;
        var consumer = batch[0].Consumer;
        try
        {
            // Not cancelled with any one message: the batch ends as a whole, bounded by the database's command timeout.
            await using var unitOfWork = await database.BeginAsync(CancellationToken.None);
            var fresh = await index.TryMarkAndAdvanceManyAsync(unitOfWork, consumer, batch.ConvertAll(e => e.Mark), CancellationToken.None);
            EndEntering(ref entering);
            SyncTelemetry.UpsertBatchSize.Record(batch.Count);

            var live = new List<(Entry Entry, IReadOnlyList<Sync.Storage.TagChange> Fresh)>(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (fresh[i] is { } changes)
                {
                    live.Add((batch[i], changes));
                }

                batch[i].Entered.TrySetResult(fresh[i]);
            }

            await Task.WhenAll(live.Select(m => m.Entry.Finished.Task));
            var completed = new List<Entry>(live.Count);
            foreach (var (entry, changes) in live)
            {
                if (entry.Finished.Task.Result)
                {
                    completed.Add(entry);
                    continue;
                }

                // Its API call failed (or it was cancelled): its mark and guard changes go, the others' stay.
                await inbox.UnmarkAsync(unitOfWork, consumer, entry.Mark.MessageId, CancellationToken.None);
                if (changes.Count > 0)
                {
                    await index.RevertTagsAsync(unitOfWork, entry.Mark.LocationId, entry.Mark.ContactId,
                        changes.Select(c => c.Tag).ToList(), CancellationToken.None);
                }
            }

            var commands = completed.SelectMany(e => e.Outbox).ToList();
            if (commands.Count > 0)
            {
                await outbox.EnqueueAsync(unitOfWork, commands, CancellationToken.None);
            }

            await index.UpsertKeysOfLocationsAndCommitAsync(unitOfWork,
                completed.SelectMany(e => e.Keys.Select(k => new LocatedKeyEntry(e.Mark.LocationId, k))).ToList(), CancellationToken.None);
            foreach (var entry in completed)
            {
                entry.Committed.TrySetResult();
            }
        }
        catch (Exception ex)
        {
            // Nothing of the batch committed: every member fails and its message is redelivered.
            LogBatchFailed(ex, batch.Count, ex.Message);
            foreach (var entry in batch)
            {
                entry.Entered.TrySetException(ex);
                entry.Committed.TrySetException(ex);
            }
        }
        finally
        {
            EndEntering(ref entering);
            lock (_gate)
            {
                foreach (var entry in batch)
                {
                    _openContacts.Remove((entry.Mark.LocationId, entry.Mark.ContactId));
                    _openMessages.Remove(entry.Mark.MessageId);
                }

                StartBatchesLocked();
            }
        }
    }

    private void EndEntering(ref bool entering)
    {
        if (!entering)
        {
            return;
        }

        entering = false;
        lock (_gate)
        {
            _entering--;
            StartBatchesLocked();
        }
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning,
        Message = "A batch of {Count} upserts failed before it committed; each of its messages is retried: {Reason}")]
    private partial void LogBatchFailed(Exception exception, int count, string reason);

    /// <summary>One message's place in a batch.</summary>
    public sealed class Entry
    {
        internal Entry(string consumer, GuardedMark mark)
        {
            Consumer = consumer;
            Mark = mark;
        }

        internal string Consumer { get; }

        internal GuardedMark Mark { get; }

        internal TaskCompletionSource<IReadOnlyList<Sync.Storage.TagChange>?> Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>True when the member handed back its effects, false when it gave up.</summary>
        internal TaskCompletionSource<bool> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal IReadOnlyCollection<ContactKeyEntry> Keys { get; private set; } = [];

        internal IReadOnlyCollection<OutboxMessage> Outbox { get; private set; } = [];

        /// <summary>Null when the message was already processed; else the guard changes found fresh, sorted by tag.</summary>
        public IReadOnlyList<Sync.Storage.TagChange>? Fresh { get; internal set; }

        /// <summary>
        /// Hands back the message's index keys and tag commands and waits until its batch has committed them (with its
        /// inbox mark and guard changes); throws when the batch failed, and the message is then retried.
        /// </summary>
        public Task CommitAsync(IReadOnlyCollection<ContactKeyEntry> keys, IReadOnlyCollection<OutboxMessage> commands)
        {
            ArgumentNullException.ThrowIfNull(keys);
            ArgumentNullException.ThrowIfNull(commands);
            Keys = keys;
            Outbox = commands;
            return Finished.TrySetResult(true)
                ? Committed.Task
                : throw new InvalidOperationException("This entry has already ended.");
        }

        /// <summary>Gives up the message: its batch takes back its inbox mark and guard changes. Idempotent.</summary>
        public void Abandon() => Finished.TrySetResult(false);
    }
}
