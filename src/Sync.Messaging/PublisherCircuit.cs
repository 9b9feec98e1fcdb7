using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sync.Messaging;

/// <summary>
/// Remembers, in one process, that the broker is not taking publishes, so a webhook does not pay the publish timeout to find out: after
/// a failed publish the circuit is open and callers spill to the outbox at once. One caller at a time probes: at most
/// every <see cref="RabbitMqOptions.PublishProbeInterval"/> (doubling after each failed probe up to
/// <see cref="RabbitMqOptions.PublishProbeMaxInterval"/>) one handoff tries the broker again, and any publish that
/// succeeds closes the circuit.
/// </summary>
public sealed partial class PublisherCircuit(IOptions<RabbitMqOptions> options, TimeProvider time, ILogger<PublisherCircuit> logger)
{
    private readonly Lock _lock = new();
    private bool _open;
    private bool _probing;
    private DateTimeOffset _nextProbeAt;
    private TimeSpan _interval;
    private long _spilledWhileOpen;
    private CancellationTokenSource _opened = new();
    private TaskCompletionSource _closed = ClosedAlready();

    /// <summary>Whether publishes are being skipped now.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _open;
            }
        }
    }

    /// <summary>
    /// Cancelled when the circuit opens: a publish that was already under way then gives up at once and its message
    /// goes to the outbox, instead of waiting out the publish timeout for a broker known to be gone. A token read
    /// while the circuit is open is already cancelled; one read after it closes belongs to the next opening.
    /// </summary>
    public CancellationToken OpenedToken
    {
        get
        {
            lock (_lock)
            {
                return _opened.Token;
            }
        }
    }

    /// <summary>
    /// Completes when the circuit closes: already complete while it is closed; while it is open, complete once a publish
    /// has succeeded. Callers that wait for the broker to come back (the relay's lanes) resume together, at once,
    /// instead of at their next poll.
    /// </summary>
    public Task Closed
    {
        get
        {
            lock (_lock)
            {
                return _closed.Task;
            }
        }
    }

    /// <summary>
    /// Whether this caller should publish: yes while the circuit is closed; while it is open, yes for one caller once
    /// the probe is due (<paramref name="probe"/> is then true and the caller must report back with
    /// <see cref="Succeeded"/>, <see cref="Failed"/> or <see cref="Abandoned"/>).
    /// </summary>
    /// <param name="probe">Whether this caller is the probe.</param>
    /// <param name="countSkip">Whether a refusal counts as a handoff that skipped the broker (for the log line on closing).</param>
    public bool TryEnter(out bool probe, bool countSkip = true)
    {
        lock (_lock)
        {
            probe = false;
            if (!_open)
            {
                return true;
            }

            if (!_probing && time.GetUtcNow() >= _nextProbeAt)
            {
                _probing = true;
                probe = true;
                return true;
            }

            if (countSkip)
            {
                _spilledWhileOpen++;
            }

            return false;
        }
    }

    /// <summary>
    /// A publish succeeded: closes the circuit (one Information line). Returns how many handoffs skipped the broker
    /// while it was open, or null if it was closed.
    /// </summary>
    public long? Succeeded(bool probe)
    {
        lock (_lock)
        {
            if (probe)
            {
                _probing = false;
            }

            if (!_open)
            {
                return null;
            }

            _open = false;
            _opened = new CancellationTokenSource();
            _closed.TrySetResult(); // continuations run asynchronously, outside this lock
            var skipped = _spilledWhileOpen;
            _spilledWhileOpen = 0;
            LogClosed(logger, skipped);
            return skipped;
        }
    }

    /// <summary>
    /// A publish failed (<paramref name="reason"/> says how): opens the circuit if it was closed (one Warning line).
    /// Returns when the next probe is due if this failure opened the circuit, otherwise null.
    /// </summary>
    public TimeSpan? Failed(bool probe, string reason)
    {
        CancellationTokenSource? opened = null;
        try
        {
            lock (_lock)
            {
                var next = Fail(probe, reason);
                if (next is not null)
                {
                    opened = _opened;
                }

                return next;
            }
        }
        finally
        {
            // Outside the lock: the publishes under way give up (their callbacks may read the circuit).
            opened?.Cancel();
        }
    }

    /// <summary>
    /// The broker's connection is gone or blocked (<paramref name="reason"/> says how), as seen by a watcher of the
    /// broker rather than by a publish: opens the circuit as a failed publish would, and the publishes under way give up.
    /// </summary>
    public void BrokerLost(string reason) => Failed(probe: false, reason);

    /// <summary>The broker is back (a watcher's connection recovered): the next caller probes at once, not at its scheduled time.</summary>
    public void ProbeNow()
    {
        lock (_lock)
        {
            if (_open)
            {
                _nextProbeAt = time.GetUtcNow();
            }
        }
    }

    private TimeSpan? Fail(bool probe, string reason)
    {
        var settings = options.Value;
        if (probe)
        {
            _probing = false;
            _interval = TimeSpan.FromTicks(Math.Min(_interval.Ticks * 2, settings.PublishProbeMaxInterval.Ticks));
            _nextProbeAt = time.GetUtcNow() + _interval;
            return null;
        }

        if (_open)
        {
            return null;
        }

        _open = true;
        _closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _interval = settings.PublishProbeInterval;
        _nextProbeAt = time.GetUtcNow() + _interval;
        LogOpened(logger, reason, _interval.TotalMilliseconds);
        return _interval;
    }

    /// <summary>A probe ended without an answer (the request was cancelled): the next caller may probe.</summary>
    public void Abandoned(bool probe)
    {
        if (!probe)
        {
            return;
        }

        lock (_lock)
        {
            _probing = false;
        }
    }

    private static TaskCompletionSource ClosedAlready()
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        closed.SetResult();
        return closed;
    }

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning,
        Message = "The broker is not taking publishes ({Reason}): webhooks go to the outbox without waiting for the broker and the relay pauses, until a publish succeeds (next try in {NextTryMs} ms)")]
    private static partial void LogOpened(ILogger logger, string reason, double nextTryMs);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information,
        Message = "The broker takes publishes again; {Skipped} webhooks went straight to the outbox meanwhile (the relay publishes them)")]
    private static partial void LogClosed(ILogger logger, long skipped);
}
