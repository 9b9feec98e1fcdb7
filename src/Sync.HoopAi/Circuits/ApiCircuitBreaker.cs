using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;

namespace Sync.HoopAi.Circuits;

/// <summary>Where a circuit stands.</summary>
public enum CircuitState
{
    /// <summary>Calls go through.</summary>
    Closed,

    /// <summary>Calls are refused until a probe (the host) or a trial call (a location) sees the API answer again.</summary>
    Open,

    /// <summary>A location's trial call is in flight; other calls still wait.</summary>
    HalfOpen,
}

/// <summary>A change of a circuit's state.</summary>
/// <param name="Circuit">The circuit: <c>api</c> for the host, <c>location:&lt;id&gt;</c> for a location.</param>
/// <param name="State">The new state.</param>
/// <param name="Reason">Why it changed.</param>
/// <param name="NextProbeAt">When it opened: the time of the next probe or trial.</param>
/// <param name="At">When it changed.</param>
public sealed record CircuitChange(string Circuit, CircuitState State, string Reason, DateTimeOffset? NextProbeAt, DateTimeOffset At);

/// <summary>
/// The API's kill switch, per process: counts the outcomes of API calls, opens the host's circuit on a run or a ratio
/// of transient failures (5xx, timeouts, connection failures; a 4xx or a 429 shows the API is up), and then refuses
/// calls with <see cref="FailureKind.CircuitOpen"/>, so messages go back without an attempt counted. The worker pauses
/// consumption while the host's circuit is open and probes the API on a growing interval (<see cref="TryBeginProbe"/>).
/// A location's circuit opens on failures only that location sees; after its wait one trial call goes through.
/// </summary>
public sealed partial class ApiCircuitBreaker
{
    /// <summary>The name of the host's circuit.</summary>
    public const string HostCircuit = "api";

    private readonly ApiCircuitOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ApiCircuitBreaker> _logger;
    private readonly Circuit _host = new(HostCircuit, IsHost: true);
    private readonly Dictionary<string, Circuit> _locations = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _lastAnswered = new(StringComparer.Ordinal);
    private string? _lastSucceededLocation;
    private string? _lastFailedLocation;

    /// <summary>Creates the breaker.</summary>
    public ApiCircuitBreaker(IOptions<ApiCircuitOptions> options, TimeProvider time, ILogger<ApiCircuitBreaker> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised, outside the breaker's lock, whenever a circuit changes state.</summary>
    public event Action<CircuitChange>? Changed;

    /// <summary>The host circuit's state.</summary>
    public CircuitState HostState
    {
        get
        {
            lock (_lock)
            {
                return _host.State;
            }
        }
    }

    /// <summary>Every circuit that is not closed, and the host's.</summary>
    public IReadOnlyList<CircuitChange> Snapshot()
    {
        lock (_lock)
        {
            return [.. new[] { _host }.Concat(_locations.Values.Where(c => c.State != CircuitState.Closed))
                .Select(c => new CircuitChange(c.Name, c.State, c.Reason, c.State == CircuitState.Closed ? null : c.NextProbeAt, c.ChangedAt))];
        }
    }

    /// <summary>
    /// Before a call for <paramref name="locationId"/>: throws <see cref="FailureKind.CircuitOpen"/> while the host's
    /// circuit is open, or the location's is open and its trial is not due (or already in flight).
    /// </summary>
    public void EnsureCallable(string locationId)
    {
        if (!_options.Enabled)
        {
            return;
        }

        CircuitChange? change = null;
        TimeSpan? refusedFor = null;
        string? refusedBy = null;
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_host.State != CircuitState.Closed)
            {
                refusedFor = Wait(_host, now);
                refusedBy = "the API";
            }
            else if (_options.PerLocation && _locations.TryGetValue(locationId, out var circuit) && circuit.State != CircuitState.Closed)
            {
                if (circuit.State == CircuitState.Open && now >= circuit.NextProbeAt)
                {
                    circuit.State = CircuitState.HalfOpen;
                    circuit.ChangedAt = now;
                    change = new CircuitChange(circuit.Name, CircuitState.HalfOpen, "trial call", null, now);
                }
                else
                {
                    refusedFor = Wait(circuit, now);
                    refusedBy = $"location {locationId}";
                }
            }
        }

        Publish(change);
        if (refusedFor is { } wait)
        {
            throw new SyncFailureException(FailureKind.CircuitOpen,
                $"The circuit of {refusedBy} is open after repeated API failures; the work waits (next probe in {wait:g}).", wait);
        }
    }

    /// <summary>The API answered (any status but a 5xx): the API is up for this location.</summary>
    public void RecordSuccess(string locationId)
    {
        if (!_options.Enabled)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var changes = new List<CircuitChange>(2);
        lock (_lock)
        {
            _lastSucceededLocation = locationId;
            _lastAnswered[locationId] = now;
            if (_lastAnswered.Count > 10_000)
            {
                foreach (var stale in _lastAnswered.Where(p => now - p.Value > _options.SamplingWindow).Select(p => p.Key).ToList())
                {
                    _lastAnswered.Remove(stale);
                }
            }

            Success(_host, now, changes, "the API answered");
            if (_options.PerLocation && _locations.TryGetValue(locationId, out var circuit))
            {
                Success(circuit, now, changes, "the location's call succeeded");
                if (circuit.State == CircuitState.Closed)
                {
                    _locations.Remove(locationId);
                }
            }
        }

        foreach (var change in changes)
        {
            Publish(change);
        }
    }

    /// <summary>
    /// A call for <paramref name="locationId"/> failed transiently. Returns true when a circuit that covers the call is
    /// open now: the caller then reports the failure as <see cref="FailureKind.CircuitOpen"/>, so it costs no attempt.
    /// </summary>
    public bool RecordFailure(string locationId, string reason)
    {
        if (!_options.Enabled)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        CircuitChange? change;
        bool open;
        lock (_lock)
        {
            _lastFailedLocation = locationId;
            change = Failure(_host, now, reason);
            open = _host.State != CircuitState.Closed;
            if (!open && _options.PerLocation)
            {
                if (!_locations.TryGetValue(locationId, out var circuit))
                {
                    circuit = new Circuit("location:" + locationId, IsHost: false);
                    _locations[locationId] = circuit;
                }

                // Only a failure the API's other locations do not share is the location's own: while nothing else
                // answers either, it is the API's, and its circuit decides.
                var othersAnswer = _lastAnswered.Any(p => p.Key != locationId && now - p.Value <= _options.SamplingWindow);
                change = Failure(circuit, now, reason, mayOpen: othersAnswer);
                open = circuit.State != CircuitState.Closed;
            }
        }

        Publish(change);
        return open;
    }

    /// <summary>
    /// When the host's circuit is open and its probe is due: true, with the location to probe with (the one that last
    /// succeeded, else the one that last failed). The caller makes one API call and reports it with
    /// <see cref="RecordSuccess"/> or <see cref="RecordProbeFailure"/>.
    /// </summary>
    public bool TryBeginProbe(out string? locationId, out TimeSpan untilDue)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            locationId = _lastSucceededLocation ?? _lastFailedLocation;
            if (_host.State == CircuitState.Closed)
            {
                untilDue = _options.ProbeInterval;
                return false;
            }

            untilDue = _host.NextProbeAt > now ? _host.NextProbeAt - now : TimeSpan.Zero;
            return untilDue == TimeSpan.Zero;
        }
    }

    /// <summary>The host's probe failed: the circuit stays open and the next probe waits twice as long (up to the cap).</summary>
    public void RecordProbeFailure(string reason)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_host.State == CircuitState.Closed)
            {
                return;
            }

            _host.Interval = Next(_host.Interval);
            _host.NextProbeAt = now + _host.Interval;
            _host.Reason = reason;
        }

        LogProbeFailed(reason, _host.Interval);
    }

    /// <summary>The probe could not be made (no usable location): the host's circuit closes and real work finds out.</summary>
    public void RecordProbeInconclusive(string reason)
    {
        var now = _time.GetUtcNow();
        var changes = new List<CircuitChange>(1);
        lock (_lock)
        {
            Success(_host, now, changes, "probe inconclusive (" + reason + "); trying real work");
        }

        foreach (var change in changes)
        {
            Publish(change);
        }
    }

    private TimeSpan Next(TimeSpan interval)
    {
        var doubled = interval + interval;
        return doubled > _options.MaxProbeInterval ? _options.MaxProbeInterval : doubled;
    }

    private static TimeSpan Wait(Circuit circuit, DateTimeOffset now) =>
        circuit.NextProbeAt > now ? circuit.NextProbeAt - now : TimeSpan.FromSeconds(1);

    private void Success(Circuit circuit, DateTimeOffset now, List<CircuitChange> changes, string reason)
    {
        circuit.Consecutive = 0;
        circuit.Samples.Enqueue((now, false));
        Prune(circuit, now);
        if (circuit.State != CircuitState.Closed)
        {
            circuit.State = CircuitState.Closed;
            circuit.Reason = reason;
            circuit.ChangedAt = now;
            circuit.Samples.Clear();
            changes.Add(new CircuitChange(circuit.Name, CircuitState.Closed, reason, null, now));
        }
    }

    private CircuitChange? Failure(Circuit circuit, DateTimeOffset now, string reason, bool mayOpen = true)
    {
        circuit.Consecutive++;
        circuit.Samples.Enqueue((now, true));
        Prune(circuit, now);
        if (circuit.State == CircuitState.HalfOpen)
        {
            // The trial failed: open again, waiting longer.
            circuit.Interval = Next(circuit.Interval);
            return Open(circuit, now, "trial call failed: " + reason);
        }

        if (circuit.State == CircuitState.Open || !mayOpen)
        {
            return null;
        }

        // The host trips on a run or a ratio; a location (whose calls are few and bursty) on a run of its own.
        var failures = circuit.Samples.Count(s => s.Failed);
        var tripped = circuit.IsHost
            ? circuit.Consecutive >= _options.ConsecutiveFailures
              || (circuit.Samples.Count >= _options.MinimumCalls && failures >= _options.FailureRatio * circuit.Samples.Count)
            : circuit.Consecutive >= _options.LocationConsecutiveFailures;
        if (!tripped)
        {
            return null;
        }

        circuit.Interval = _options.ProbeInterval;
        return Open(circuit, now, $"{failures} of the last {circuit.Samples.Count} calls failed ({circuit.Consecutive} in a row): {reason}");
    }

    private static CircuitChange Open(Circuit circuit, DateTimeOffset now, string reason)
    {
        circuit.State = CircuitState.Open;
        circuit.Reason = reason;
        circuit.ChangedAt = now;
        circuit.NextProbeAt = now + circuit.Interval;
        return new CircuitChange(circuit.Name, CircuitState.Open, reason, circuit.NextProbeAt, now);
    }

    private void Prune(Circuit circuit, DateTimeOffset now)
    {
        while (circuit.Samples.TryPeek(out var oldest) && oldest.At < now - _options.SamplingWindow)
        {
            circuit.Samples.Dequeue();
        }
    }

    private void Publish(CircuitChange? change)
    {
        if (change is null)
        {
            return;
        }

        switch (change.State)
        {
            case CircuitState.Open:
                LogOpened(change.Circuit, change.Reason, change.NextProbeAt!.Value);
                break;
            case CircuitState.Closed:
                LogClosed(change.Circuit, change.Reason);
                break;
            default:
                LogHalfOpen(change.Circuit);
                break;
        }

        Changed?.Invoke(change);
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Warning,
        Message = "Circuit {Circuit} opened: {Reason}; work waits, next probe at {NextProbeAt:O}")]
    private partial void LogOpened(string circuit, string reason, DateTimeOffset nextProbeAt);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Information, Message = "Circuit {Circuit} closed: {Reason}; work resumes")]
    private partial void LogClosed(string circuit, string reason);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Information, Message = "Circuit {Circuit} half-open: one trial call goes through")]
    private partial void LogHalfOpen(string circuit);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Information, Message = "API probe failed ({Reason}); next probe in {Interval}")]
    private partial void LogProbeFailed(string reason, TimeSpan interval);

    private sealed class Circuit(string name, bool IsHost)
    {
        public string Name { get; } = name;

        public bool IsHost { get; } = IsHost;

        public CircuitState State { get; set; }

        public string Reason { get; set; } = "";

        public DateTimeOffset ChangedAt { get; set; }

        public DateTimeOffset NextProbeAt { get; set; }

        public TimeSpan Interval { get; set; }

        public int Consecutive { get; set; }

        public Queue<(DateTimeOffset At, bool Failed)> Samples { get; } = new();
    }
}
