using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Sync.Core;

/// <summary>
/// Sync's own traces and metrics, defined once: the <see cref="ActivitySource"/> and <see cref="Meter"/> named
/// <see cref="Name"/> and every instrument, recorded where things happen. Names live under <c>sync.</c>, units follow
/// OpenTelemetry's conventions (seconds for durations, <c>{thing}</c> for counts), labels are low-cardinality: a
/// location is a label only through <see cref="LocationLabel"/>, which caps how many locations get one.
/// The Prometheus names are the OpenTelemetry names with dots as underscores, the unit and <c>_total</c> for counters
/// (e.g. <c>sync.webhooks</c> → <c>sync_webhooks_total</c>, <c>sync.api.call.duration</c> →
/// <c>sync_api_call_duration_seconds</c>).
/// </summary>
public static class SyncTelemetry
{
    /// <summary>The name of Sync's <see cref="ActivitySource"/> and <see cref="Meter"/>.</summary>
    public const string Name = "Sync";

    /// <summary>The label value that stands for every location past the cap.</summary>
    public const string OtherLocations = "other";

    /// <summary>The outbox row header that carries the W3C <c>traceparent</c> of the work that wrote the row.</summary>
    public const string TraceParentHeader = "sync-traceparent";

    /// <summary>The outbox row header that carries the W3C <c>tracestate</c> of the work that wrote the row.</summary>
    public const string TraceStateHeader = "sync-tracestate";

    private static readonly ConcurrentDictionary<string, byte> LabelledLocations = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, DateTimeOffset> TokenExpiries = new(StringComparer.Ordinal);
    private static int _maxLabelledLocations = 50;

    /// <summary>Spans of Sync's own work (the outbox relay's publish, the tag batch).</summary>
    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>Sync's meter.</summary>
    public static readonly Meter Meter = new(Name);

    /// <summary>Webhooks answered by the ingress, by <c>source</c>, <c>type</c> (event type) and <c>outcome</c>
    /// (<c>published</c>, <c>stored</c>, <c>duplicate</c>, <c>refused</c> or <c>rejected:&lt;problem&gt;</c>).</summary>
    public static readonly Counter<long> Webhooks = Meter.CreateCounter<long>(
        "sync.webhooks", "{webhook}", "Webhooks answered by the ingress, by source, event type and outcome.");

    /// <summary>Time from a webhook's arrival to its durable handoff (broker confirm or outbox row), by <c>outcome</c>.</summary>
    public static readonly Histogram<double> HandoffDuration = Meter.CreateHistogram(
        "sync.webhook.handoff.duration", "s", "Time from a webhook's arrival to its durable handoff.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    /// <summary>API calls answered, by <c>method</c>, <c>route</c> (the template) and <c>status</c> (the HTTP status, or
    /// <c>error</c> when no answer came).</summary>
    public static readonly Counter<long> ApiCalls = Meter.CreateCounter<long>(
        "sync.api.calls", "{call}", "HoopAI API calls, by method, route template and status.");

    /// <summary>Latency of API calls, by <c>method</c>, <c>route</c> and <c>status</c>.</summary>
    public static readonly Histogram<double> ApiCallDuration = Meter.CreateHistogram(
        "sync.api.call.duration", "s", "Latency of HoopAI API calls.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    /// <summary>429 answers, by <c>route</c> (which location waits shows in <see cref="ApiBudgetRemaining"/>).</summary>
    public static readonly Counter<long> ApiRateLimited = Meter.CreateCounter<long>(
        "sync.api.rate_limited", "{call}", "API calls answered 429, by route.");

    /// <summary>
    /// API slots reached too late to use: a message that waited for its slot in the queue's tiers came back late, or a
    /// call that waited in-process woke more than 20 ms after it (the process was busy); the call reserved again and the
    /// slot went unused. A steady rise means budget is being wasted (consumers, the broker or the host too slow to be on
    /// time).
    /// </summary>
    public static readonly Counter<long> ApiSlotsMissed = Meter.CreateCounter<long>(
        "sync.api.slots.missed", "{slot}", "API slots let go: reserved for a message that came back, or a call that woke, too late to use them.");

    /// <summary>The rate budget the API last announced, by <c>location</c> (capped) and <c>window</c> (<c>burst</c>, <c>daily</c>).</summary>
    public static readonly Gauge<long> ApiBudgetRemaining = Meter.CreateGauge<long>(
        "sync.api.budget.remaining", "{call}", "Requests left in the API's window for a location, as it last announced.");

    /// <summary>The size of the rate budget's window, by <c>location</c> (capped) and <c>window</c>.</summary>
    public static readonly Gauge<long> ApiBudgetLimit = Meter.CreateGauge<long>(
        "sync.api.budget.limit", "{call}", "The size of the API's window for a location, as it last announced.");

    /// <summary>The state of a circuit (0 closed, 1 open, 2 half open), by <c>circuit</c> (<c>api</c> or <c>location</c>).</summary>
    public static readonly Gauge<int> CircuitState = Meter.CreateGauge<int>(
        "sync.api.circuit.state", "{state}", "0 closed, 1 open, 2 half open: the API's circuit (circuit=api) or the most open location circuit (circuit=location).");

    /// <summary>Circuits that opened, by <c>circuit</c>.</summary>
    public static readonly Counter<long> CircuitOpened = Meter.CreateCounter<long>(
        "sync.api.circuit.opened", "{event}", "Times a circuit opened, by circuit kind.");

    /// <summary>Token refreshes, by <c>result</c> (<c>refreshed</c>, <c>refused</c>, <c>failed</c>).</summary>
    public static readonly Counter<long> TokenRefreshes = Meter.CreateCounter<long>(
        "sync.token.refreshes", "{refresh}", "OAuth token refreshes, by result.");

    /// <summary>Events handled by the worker's consumers, by <c>consumer</c> and <c>result</c>
    /// (<c>applied</c>, <c>stale</c>, <c>deduplicated</c>).</summary>
    public static readonly Counter<long> Events = Meter.CreateCounter<long>(
        "sync.events", "{event}", "Events handled by the worker, by consumer and result (applied, stale, deduplicated).");

    /// <summary>How many upserts shared one unit of work (one batch of the worker's group commit).</summary>
    public static readonly Histogram<long> UpsertBatchSize = Meter.CreateHistogram(
        "sync.upsert_batch.size", "{upsert}", "Upserts marked, guarded and committed in one unit of work.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });

    /// <summary>How many commands one tag batch carried (per location).</summary>
    public static readonly Histogram<long> TagBatchSize = Meter.CreateHistogram(
        "sync.tag_batch.size", "{command}", "Commands in one location's tag batch.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500] });

    /// <summary>Messages moved to a dead-letter queue, by <c>queue</c> and <c>classification</c>.</summary>
    public static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>(
        "sync.dead_letters", "{message}", "Messages dead-lettered, by queue and failure classification.");

    /// <summary>
    /// Where one message's time goes in the worker, by <c>consumer</c> (<c>webhook-received</c>,
    /// <c>change-contact-tags</c>, or <c>api</c> for the parts of an API call) and <c>stage</c> (e.g. <c>receive</c>,
    /// <c>inbox-check</c>, <c>guard</c>, <c>rate-limit</c>, <c>token</c>, <c>http</c>, <c>commit</c>): the per-stage
    /// breakdown of docs/benchmarks.md, read from <c>_sum</c> ÷ <c>_count</c>. See <see cref="StageClock"/>.
    /// </summary>
    public static readonly Histogram<double> StageDuration = Meter.CreateHistogram(
        "sync.worker.stage.duration", "s", "Time one message spent in each stage of the worker.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });

    /// <summary>Records one stage of <paramref name="consumer"/> in <see cref="StageDuration"/>.</summary>
    public static void RecordStage(string consumer, string stage, TimeSpan elapsed) =>
        StageDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("consumer", consumer),
            new KeyValuePair<string, object?>("stage", stage));

    /// <summary>Unsent outbox rows, as the last sample saw them.</summary>
    public static readonly Gauge<long> OutboxBacklog = Meter.CreateGauge<long>(
        "sync.outbox.backlog", "{message}", "Unsent outbox rows.");

    /// <summary>Age of the oldest unsent outbox row (0 when none), as the last sample saw it.</summary>
    public static readonly Gauge<double> OutboxOldestAge = Meter.CreateGauge<double>(
        "sync.outbox.oldest_age", "s", "Age of the oldest unsent outbox row; 0 when there is none.");

    /// <summary>Messages ready in a queue the worker reads, by <c>queue</c>, as the last sample saw them.</summary>
    public static readonly Gauge<long> QueueDepth = Meter.CreateGauge<long>(
        "sync.queue.depth", "{message}", "Messages ready in a work or error queue, as the worker last saw them.");

    /// <summary>Seconds until the soonest-expiring OAuth access token this process knows of expires.</summary>
    public static readonly ObservableGauge<double> SoonestTokenExpiry = Meter.CreateObservableGauge(
        "sync.token.soonest_expiry", ObserveSoonestExpiry, "s",
        "Seconds until the soonest-expiring OAuth access token this process knows of expires (negative: expired).");

    /// <summary>
    /// Starts the counters an alert divides or rates at zero for their known labels, so a rule sees 0 rather than no
    /// series before the first failure: 429s per route, refreshes per result, circuits opened, API slots missed, dead
    /// letters per work queue and classification.
    /// </summary>
    public static void StartCountersAtZero(IEnumerable<string> routes, IEnumerable<string> workQueues, IEnumerable<string> classifications)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(workQueues);
        ArgumentNullException.ThrowIfNull(classifications);
        foreach (var route in routes)
        {
            ApiRateLimited.Add(0, new KeyValuePair<string, object?>("route", route));
        }

        foreach (var result in new[] { "refreshed", "refused", "failed" })
        {
            TokenRefreshes.Add(0, new KeyValuePair<string, object?>("result", result));
        }

        foreach (var circuit in new[] { "api", "location" })
        {
            CircuitOpened.Add(0, new KeyValuePair<string, object?>("circuit", circuit));
        }

        ApiSlotsMissed.Add(0);

        var kinds = classifications.ToList();
        foreach (var queue in workQueues)
        {
            foreach (var kind in kinds)
            {
                DeadLetters.Add(0, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("classification", kind));
            }
        }
    }

    /// <summary>How many locations get a label of their own; the rest share <see cref="OtherLocations"/>. Default 50.</summary>
    public static int MaxLabelledLocations
    {
        get => Volatile.Read(ref _maxLabelledLocations);
        set => Volatile.Write(ref _maxLabelledLocations, Math.Max(0, value));
    }

    /// <summary>How many locations hold a label of their own now.</summary>
    internal static int LabelledLocationCount => LabelledLocations.Count;

    /// <summary>The label for <paramref name="locationId"/>: itself for the first <see cref="MaxLabelledLocations"/>
    /// locations seen, else <see cref="OtherLocations"/>.</summary>
    public static string LocationLabel(string locationId)
    {
        if (LabelledLocations.ContainsKey(locationId))
        {
            return locationId;
        }

        if (LabelledLocations.Count < MaxLabelledLocations && LabelledLocations.TryAdd(locationId, 0))
        {
            return locationId;
        }

        return OtherLocations;
    }

    /// <summary>Records when a location's OAuth access token expires (for <c>sync.token.soonest_expiry</c>).</summary>
    public static void TokenExpiresAt(string locationId, DateTimeOffset expiresAt) => TokenExpiries[locationId] = expiresAt;

    /// <summary>Forgets a location's token expiry (uninstalled, or no longer an OAuth token).</summary>
    public static void ForgetToken(string locationId) => TokenExpiries.TryRemove(locationId, out _);

    /// <summary>Records a circuit change: <paramref name="circuit"/> is <c>api</c> or <c>location</c>.</summary>
    public static void RecordCircuit(string circuit, int state, bool opened)
    {
        var tag = new KeyValuePair<string, object?>("circuit", circuit);
        CircuitState.Record(state, tag);
        if (opened)
        {
            CircuitOpened.Add(1, tag);
        }
    }

    private static IEnumerable<Measurement<double>> ObserveSoonestExpiry()
    {
        if (TokenExpiries.IsEmpty)
        {
            return [];
        }

        var soonest = TokenExpiries.Values.Min();
        return [new Measurement<double>((soonest - DateTimeOffset.UtcNow).TotalSeconds)];
    }
}
