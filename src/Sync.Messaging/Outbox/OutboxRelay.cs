using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.Storage;

namespace Sync.Messaging.Outbox;

/// <summary>
/// Publishes due outbox rows: claims a batch under row locks (<see cref="IOutboxStore.ClaimAsync"/>, which skips rows
/// other relays hold), publishes each with its stored message id and a confirm, then completes the claim in one
/// commit: confirmed rows marked sent, failed ones given back with an exponential delay. Safe with any number of
/// instances: a row is claimed by one relay at a time, and if a relay dies mid-batch its claim ends with its
/// connection and another publishes the row again with the same message id, which consumers recognise as a
/// duplicate. Also purges old sent rows. Shares the process's <see cref="PublisherCircuit"/>: while the broker is
/// known to be down the relay claims nothing, trying one row at a time when a probe is due, so rows do not burn their
/// attempts against a broker that cannot take them.
/// Up to <see cref="OutboxOptions.RelayConcurrency"/> batches are under way at once, one per lane. The first lane
/// looks for due rows every <see cref="OutboxOptions.PollInterval"/>, or at once when this process commits outbox
/// rows (<see cref="OutboxSignal"/>); a lane that claimed a full batch claims again at once and wakes one more lane,
/// so a backlog brings every lane in within a few claims, and the other lanes sleep again when they find less than a
/// full batch. An idle relay therefore costs one poll per interval, whatever its number of lanes.
/// </summary>
public sealed partial class OutboxRelay : BackgroundService
{
    private readonly IOutboxStore _store;
    private readonly OutboxSignal _signal;
    private readonly IConfirmedPublisher _publisher;
    private readonly PublisherCircuit _circuit;
    private readonly IOptions<OutboxOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboxRelay> _logger;
    private readonly OutboxSignal _moreDue = new(); // a lane claimed a full batch: one more lane may help
    private static readonly TimeSpan MaxCycleDelay = TimeSpan.FromSeconds(30);
    private DateTimeOffset _nextPurge;

    /// <summary>Creates the relay.</summary>
    public OutboxRelay(
        IOutboxStore store,
        OutboxSignal signal,
        IConfirmedPublisher publisher,
        PublisherCircuit circuit,
        IOptions<OutboxOptions> options,
        TimeProvider time,
        ILogger<OutboxRelay> logger)
    {
        _store = store;
        _signal = signal;
        _publisher = publisher;
        _circuit = circuit;
        _options = options;
        _time = time;
        _logger = logger;
        RelayId = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    }

    /// <summary>This relay's claim owner id: unique per instance.</summary>
    public string RelayId { get; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = _options.Value;
        if (!options.RelayEnabled)
        {
            LogDisabled(_logger);
            return;
        }

        LogStarted(_logger, RelayId, options.BatchSize, options.RelayConcurrency, options.PollInterval);
        _nextPurge = _time.GetUtcNow() + options.PurgeInterval;
        // Several lanes claim and publish batches side by side: while one waits for its confirms, the next is claimed
        // and published. A row one lane holds is skipped by the others' claims; they share the circuit (one probe at a
        // time while the broker is down).
        await Task.WhenAll(Enumerable.Range(0, options.RelayConcurrency).Select(lane => RunLaneAsync(lane == 0, stoppingToken)));
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _moreDue.Dispose();
        base.Dispose();
    }

    // The first lane polls and purges; the others wait until a lane claims a full batch.
    private async Task RunLaneAsync(bool first, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var options = _options.Value;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!_circuit.TryEnter(out var probe, countSkip: false))
                {
                    // The broker is down: try again at the next poll (one lane probes when it is due), or at once when
                    // a publish has closed the circuit, so that every lane drains the backlog, not the probe's alone.
                    await Task.WhenAny(_circuit.Closed, Task.Delay(options.PollInterval, _time, stoppingToken));
                    continue;
                }

                var limit = probe ? 1 : options.BatchSize;
                var claimed = await RelayBatchAsync(limit, probe, stoppingToken);
                failures = 0;
                if (first)
                {
                    await PurgeIfDueAsync(stoppingToken);
                }

                if (claimed == limit)
                {
                    // A full batch: more may be due, so this lane claims again at once and one more lane joins in (it
                    // wakes another if it finds a full one too). A probe's one row says nothing of the backlog.
                    if (!probe)
                    {
                        _moreDue.Notify();
                    }
                }
                else if (first)
                {
                    // Nothing more is due: wait for this process to commit rows, or for the poll to find other processes' rows.
                    await _signal.WaitAsync(options.PollInterval, stoppingToken);
                }
                else
                {
                    await _moreDue.WaitAsync(Timeout.InfiniteTimeSpan, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The database or broker is down: back off, but not so far that recovery goes unnoticed for long.
                var delay = TimeSpan.FromTicks(Math.Min(options.RetryDelay(failures++).Ticks, MaxCycleDelay.Ticks));
                LogCycleFailed(_logger, ex.GetType().Name, ex.Message, delay);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Claims and publishes one batch; returns how many rows were claimed.</summary>
    public Task<int> RelayBatchAsync(CancellationToken cancellationToken) =>
        RelayBatchAsync(_options.Value.BatchSize, probe: false, cancellationToken);

    private async Task<int> RelayBatchAsync(int limit, bool probe, CancellationToken cancellationToken)
    {
        var options = _options.Value;
        await using var claim = await ClaimAsync(limit, probe, cancellationToken);
        var claimed = claim.Messages;
        if (claimed.Count == 0)
        {
            return 0;
        }

        (string? Error, bool BrokerFault)[] results;
        var reported = false;
        try
        {
            results = await Task.WhenAll(claimed.Select(row => PublishAsync(row, cancellationToken)));

            // Any confirm proves the broker takes publishes; a batch that the broker refused whole says it does not.
            if (results.Any(r => r.Error is null))
            {
                reported = true;
                _circuit.Succeeded(probe);
            }
            else if (results.All(r => r.BrokerFault))
            {
                reported = true;
                _circuit.Failed(probe, $"the outbox relay's {claimed.Count} publishes failed: {results[0].Error}");
            }
        }
        finally
        {
            if (!reported)
            {
                _circuit.Abandoned(probe);
            }
        }

        var sent = new List<long>(claimed.Count);
        var retries = new List<OutboxRetry>();
        var now = _time.GetUtcNow();
        for (var i = 0; i < claimed.Count; i++)
        {
            if (results[i].Error is not { } error)
            {
                sent.Add(claimed[i].Id);
                continue;
            }

            var row = claimed[i];
            var delay = options.RetryDelay(row.Attempts); // Attempts counts the earlier failed tries
            LogRowFailed(_logger, row.Id, row.MessageId, row.MessageType, row.Attempts + 1, error, delay);
            retries.Add(new OutboxRetry(row.Id, now + delay, error));
        }

        // One commit records the batch: sent rows marked sent, failed ones due again later. Should it fail, the claim
        // rolls back and the rows are published again (same message ids, which consumers recognise as duplicates).
        await claim.CompleteAsync(sent, retries, cancellationToken);
        LogBatch(_logger, claimed.Count, sent.Count);
        return claimed.Count;
    }

    // A probe that cannot claim (the database is down too) gives its turn back, so that the next probe is not blocked.
    private async Task<IOutboxClaim> ClaimAsync(int limit, bool probe, CancellationToken cancellationToken)
    {
        var claimed = false;
        try
        {
            var claim = await _store.ClaimAsync(limit, _options.Value.Lease, cancellationToken);
            claimed = claim.Messages.Count > 0;
            return claim;
        }
        finally
        {
            if (!claimed)
            {
                _circuit.Abandoned(probe);
            }
        }
    }

    // Error is null when published and confirmed, else why not; BrokerFault when the broker did not take it.
    private async Task<(string? Error, bool BrokerFault)> PublishAsync(ClaimedOutboxMessage row, CancellationToken cancellationToken)
    {
        var type = OutboxSerializer.ResolveType(row.MessageType);
        if (type is null)
        {
            return ($"unknown message type '{row.MessageType}'", false);
        }

        // The row's trace goes on: the publish is a child of the work that wrote the row, however long it waited.
        var headers = row.Headers;
        ActivityContext parent = default;
        if (headers.TryGetValue(SyncTelemetry.TraceParentHeader, out var traceParent))
        {
            headers.TryGetValue(SyncTelemetry.TraceStateHeader, out var traceState);
            ActivityContext.TryParse(traceParent, traceState, out parent);
            headers = headers.Where(h => h.Key is not (SyncTelemetry.TraceParentHeader or SyncTelemetry.TraceStateHeader))
                .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        }

        using var span = SyncTelemetry.ActivitySource.StartActivity("outbox relay", ActivityKind.Producer, parent);
        span?.SetTag("messaging.message.id", row.MessageId.ToString());
        span?.SetTag("sync.outbox.attempts", row.Attempts);
        try
        {
            await _publisher.PublishSerializedAsync(type, row.Body, row.Destination, row.MessageId, headers, cancellationToken);
            return (null, false);
        }
        catch (JsonException ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return ($"body does not fit {row.MessageType}: {ex.Message}", false);
        }
        catch (PublishFailedException ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return (ex.Message, true);
        }
    }

    private async Task PurgeIfDueAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (now < _nextPurge)
        {
            return;
        }

        var options = _options.Value;
        _nextPurge = now + options.PurgeInterval;
        var purged = await _store.PurgeSentAsync(now - options.SentRetention, cancellationToken);
        if (purged > 0)
        {
            LogPurged(_logger, purged);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Outbox relay {RelayId} started (batch {BatchSize}, {Concurrency} batches at once, poll {PollInterval})")]
    private static partial void LogStarted(ILogger logger, string relayId, int batchSize, int concurrency, TimeSpan pollInterval);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Outbox relay disabled by configuration (Sync:Outbox:RelayEnabled)")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Debug, Message = "Outbox relay claimed {Claimed} rows, published {Sent}")]
    private static partial void LogBatch(ILogger logger, int claimed, int sent);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning,
        Message = "Outbox row {RowId} (message {MessageId}, {MessageType}, attempt {Attempts}) not published: {Error}; retrying in {Delay}")]
    private static partial void LogRowFailed(ILogger logger, long rowId, Guid messageId, string messageType, int attempts, string error, TimeSpan delay);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Outbox relay cycle failed ({ExceptionType}: {Reason}); next try in {Delay}")]
    private static partial void LogCycleFailed(ILogger logger, string exceptionType, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Information, Message = "Outbox relay purged {Count} sent rows")]
    private static partial void LogPurged(ILogger logger, int count);
}
