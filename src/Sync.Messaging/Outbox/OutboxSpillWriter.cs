using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Storage;

namespace Sync.Messaging.Outbox;

/// <summary>
/// Writes spilled messages to the outbox in group commits. Each caller queues its row and waits; up to
/// <see cref="OutboxOptions.SpillWriters"/> writers each take what is queued (up to
/// <see cref="OutboxOptions.SpillBatchSize"/> rows) and insert it in one transaction, then complete every caller of
/// the batch at once. A caller learns its row is stored only after the commit. A row whose caller gave up before
/// its batch began is not written. If a batch of several rows fails, its rows are written one by one, so a row the
/// database refuses fails only its own caller.
/// </summary>
public sealed partial class OutboxSpillWriter : IAsyncDisposable
{
    private readonly IUnitOfWorkFactory _database;
    private readonly IOutboxStore _outbox;
    private readonly IOptions<OutboxOptions> _options;
    private readonly ILogger<OutboxSpillWriter> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _startLock = new();
    private Task[]? _writers;

    /// <summary>Creates the writer; its writers start with the first row.</summary>
    public OutboxSpillWriter(IUnitOfWorkFactory database, IOutboxStore outbox, IOptions<OutboxOptions> options, ILogger<OutboxSpillWriter> logger)
    {
        _database = database;
        _outbox = outbox;
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// Queues <paramref name="row"/> and completes when it is committed; faults if its write failed. Once
    /// <paramref name="cancellationToken"/> is cancelled, a row not yet taken into a batch is dropped and the task is
    /// cancelled; a row already in a batch still completes with its batch.
    /// </summary>
    public Task WriteAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        cancellationToken.ThrowIfCancellationRequested();
        EnsureStarted();
        var pending = new Pending(row, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(OutboxSpillWriter));
        }

        return pending.Done.Task;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        Task[]? writers;
        lock (_startLock)
        {
            writers = _writers;
        }

        if (writers is not null)
        {
            // Rows already queued are written before the writers end; a stuck database is cut short after a while.
            _stopping.CancelAfter(_options.Value.EnqueueTimeout);
            await Task.WhenAll(writers).ConfigureAwait(false);
        }

        while (_queue.Reader.TryRead(out var left))
        {
            left.Done.TrySetException(new ObjectDisposedException(nameof(OutboxSpillWriter)));
        }

        _stopping.Dispose();
    }

    private void EnsureStarted()
    {
        if (Volatile.Read(ref _writers) is not null)
        {
            return;
        }

        lock (_startLock)
        {
            _writers ??= [.. Enumerable.Range(0, _options.Value.SpillWriters).Select(_ => Task.Run(WriteLoopAsync))];
        }
    }

    private async Task WriteLoopAsync()
    {
        var max = _options.Value.SpillBatchSize;
        var batch = new List<Pending>(max);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < max && _queue.Reader.TryRead(out var pending))
                {
                    if (pending.CancellationToken.IsCancellationRequested)
                    {
                        pending.Done.TrySetCanceled(pending.CancellationToken);
                    }
                    else
                    {
                        batch.Add(pending);
                    }
                }

                if (batch.Count > 0)
                {
                    await WriteBatchAsync(batch).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            // Not expected (every write's failure goes to its callers); the callers of the batch must still be answered.
            foreach (var pending in batch)
            {
                pending.Done.TrySetException(ex);
            }

            LogWriterFailed(_logger, ex.GetType().Name, ex.Message);
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        try
        {
            await InsertAsync(batch.Select(p => p.Row).ToList()).ConfigureAwait(false);
            foreach (var pending in batch)
            {
                pending.Done.TrySetResult();
            }

            return;
        }
        catch (Exception ex) when (batch.Count == 1)
        {
            batch[0].Done.TrySetException(ex);
            return;
        }
        catch (Exception ex)
        {
            LogBatchFailed(_logger, batch.Count, ex.GetType().Name, ex.Message);
        }

        foreach (var pending in batch)
        {
            try
            {
                await InsertAsync([pending.Row]).ConfigureAwait(false);
                pending.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                pending.Done.TrySetException(ex);
            }
        }
    }

    private async Task InsertAsync(IReadOnlyCollection<OutboxMessage> rows)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        bound.CancelAfter(_options.Value.EnqueueTimeout);
        await using var unitOfWork = await _database.BeginAsync(bound.Token).ConfigureAwait(false);
        await _outbox.EnqueueAsync(unitOfWork, rows, bound.Token).ConfigureAwait(false);
        await unitOfWork.CommitAsync(bound.Token).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning,
        Message = "A group commit of {Count} spilled messages to the outbox failed ({ExceptionType}: {Reason}); writing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, string exceptionType, string reason);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error,
        Message = "An outbox spill writer stopped ({ExceptionType}: {Reason}); the remaining writers go on")]
    private static partial void LogWriterFailed(ILogger logger, string exceptionType, string reason);

    private sealed class Pending(OutboxMessage row, CancellationToken cancellationToken)
    {
        public OutboxMessage Row { get; } = row;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
