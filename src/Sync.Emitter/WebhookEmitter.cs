using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sync.Emitter;

/// <summary>How webhooks are sent.</summary>
public sealed class EmitterOptions
{
    /// <summary>Where to POST every webhook.</summary>
    public required Uri Target { get; set; }

    /// <summary>Events per second, open loop (send i is scheduled at start + i / rate); 0 sends as fast as <see cref="Concurrency"/> allows. Default 0.</summary>
    public double Rate { get; set; }

    /// <summary>Most sends in flight at once. Default 32.</summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>Percent of events sent a second time later on (same id, same body). Default 0.</summary>
    public double DuplicatePercent { get; set; }

    /// <summary>Percent of events held back and sent after 1–20 later events. Default 0.</summary>
    public double OutOfOrderPercent { get; set; }

    /// <summary>
    /// Percent of events preceded by a forged copy (same id and body, corrupted signature) that the receiver must
    /// reject. The genuine event is still sent, so the expected state does not change. Default 0.
    /// </summary>
    public double BadSignaturePercent { get; set; }

    /// <summary>Seed of the duplicate, reorder and forgery draws. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>File to append the JSON-lines ledger to; none when null.</summary>
    public string? LedgerPath { get; set; }

    /// <summary>Timeout of one send. Default 30 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most attempts per send, as a Standard Webhooks sender makes them: a send not answered 2xx is tried again with the
    /// same webhook id and body (signed afresh) when no answer came, or the answer was 408, 429 or 5xx; any other 4xx is
    /// final (the receiver refused the request itself). Default 1: no retry.
    /// </summary>
    public int MaxAttempts { get; set; } = 1;

    /// <summary>Wait before the second attempt; doubled for each further one up to <see cref="MaxRetryDelay"/>. Default 500 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between two attempts. Default 8 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(8);
}

/// <summary>One send, as the ledger records it.</summary>
public sealed record LedgerEntry
{
    /// <summary>Position in the send schedule.</summary>
    public required int Sequence { get; init; }

    /// <summary>The event id.</summary>
    public required string Id { get; init; }

    /// <summary>The event type.</summary>
    public required string Type { get; init; }

    /// <summary>The location.</summary>
    public required string LocationId { get; init; }

    /// <summary>The contact key.</summary>
    public required string ContactKey { get; init; }

    /// <summary>A repeat of an event already sent.</summary>
    public bool Duplicate { get; init; }

    /// <summary>Held back and sent after later events.</summary>
    public bool OutOfOrder { get; init; }

    /// <summary>Sent with a corrupted signature: must be rejected.</summary>
    public bool BadSignature { get; init; }

    /// <summary>When the send was due (open-loop schedule).</summary>
    public DateTimeOffset ScheduledAt { get; init; }

    /// <summary>When it was actually sent.</summary>
    public DateTimeOffset SentAt { get; init; }

    /// <summary>The HTTP status of the last attempt; 0 when no answer came.</summary>
    public int Status { get; init; }

    /// <summary>What each attempt was answered, in order (0: no answer); one entry unless retried.</summary>
    public IReadOnlyList<int> Attempts { get; init; } = [];

    /// <summary>Milliseconds from <see cref="ScheduledAt"/> to the answer.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Why no answer came, if so.</summary>
    public string? Error { get; init; }
}

/// <summary>What a run sent and what came back.</summary>
/// <param name="Entries">Every send, in schedule order.</param>
public sealed record EmissionReport(IReadOnlyList<LedgerEntry> Entries)
{
    /// <summary>Number of sends.</summary>
    public int Sent => Entries.Count;

    /// <summary>Sends per status answered (0: no answer).</summary>
    public IReadOnlyDictionary<int, int> ByStatus => Entries.GroupBy(e => e.Status).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>A latency percentile in milliseconds over the answered sends (0–100).</summary>
    public double LatencyPercentile(double percentile)
    {
        var sorted = Entries.Where(e => e.Status != 0).Select(e => e.LatencyMs).Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Sends signed webhooks to one URL on an open-loop schedule, with optional duplicates, reordering and forged
/// signatures, and records every send in a ledger.
/// </summary>
/// <param name="http">The client to send with (the caller owns it).</param>
/// <param name="signer">Signs each delivery.</param>
/// <param name="options">How to send.</param>
public sealed class WebhookEmitter(HttpClient http, IWebhookSigner signer, EmitterOptions options)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly JsonSerializerOptions LedgerJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Plans the sends for <paramref name="events"/>: which are held back past later events, repeated later, or
    /// preceded by a forged copy. Every event is sent genuinely at least once.
    /// </summary>
    public IReadOnlyList<PlannedSend> Plan(IReadOnlyList<OutgoingWebhook> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var random = new Random(options.Seed);
        var plan = new List<PlannedSend>(events.Count + 16);
        var held = new List<(int ReleaseAt, PlannedSend Send)>();
        for (var i = 0; i < events.Count; i++)
        {
            if (random.NextDouble() * 100 < options.OutOfOrderPercent)
            {
                held.Add((i + random.Next(1, 21), new PlannedSend(events[i], Duplicate: false, OutOfOrder: true, BadSignature: false)));
            }
            else
            {
                AddWithExtras(plan, held, events[i], i, random, outOfOrder: false);
            }

            Release(plan, held, i, random);
        }

        Release(plan, held, int.MaxValue, random);
        return plan;
    }

    /// <summary>Sends every event (see <see cref="Plan"/>) and returns the ledger.</summary>
    public async Task<EmissionReport> SendAsync(IReadOnlyList<OutgoingWebhook> events, CancellationToken cancellationToken = default)
    {
        var plan = Plan(events);
        var entries = new LedgerEntry[plan.Count];
        using var gate = new SemaphoreSlim(Math.Max(1, options.Concurrency));
        await using var ledger = options.LedgerPath is null ? null : new StreamWriter(options.LedgerPath, append: true);
        var ledgerLock = new object();
        var start = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var tasks = new List<Task>(plan.Count);
        for (var i = 0; i < plan.Count; i++)
        {
            var due = options.Rate > 0 ? TimeSpan.FromSeconds(i / options.Rate) : TimeSpan.Zero;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            await gate.WaitAsync(cancellationToken);
            var sequence = i;
            var scheduledAt = options.Rate > 0 ? start + due : DateTimeOffset.UtcNow;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    var entry = await SendOneAsync(sequence, plan[sequence], scheduledAt, cancellationToken);
                    entries[sequence] = entry;
                    if (ledger is not null)
                    {
                        var line = JsonSerializer.Serialize(entry, LedgerJson);
                        lock (ledgerLock)
                        {
                            ledger.WriteLine(line);
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            }, cancellationToken));
        }

        await Task.WhenAll(tasks);
        return new EmissionReport(entries);
    }

    private async Task<LedgerEntry> SendOneAsync(int sequence, PlannedSend send, DateTimeOffset scheduledAt, CancellationToken cancellationToken)
    {
        var webhook = send.Webhook;
        var sentAt = DateTimeOffset.UtcNow;
        var attempts = new List<int>(1);
        var delay = options.RetryDelay;
        int status;
        string? error;
        while (true)
        {
            (status, error) = await AttemptAsync(webhook, send.BadSignature, cancellationToken);
            attempts.Add(status);
            if (status is >= 200 and < 300 || attempts.Count >= Math.Max(1, options.MaxAttempts) || !Retryable(status))
            {
                break;
            }

            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxRetryDelay.Ticks));
        }

        return new LedgerEntry
        {
            Sequence = sequence,
            Id = webhook.Id,
            Type = webhook.Type,
            LocationId = webhook.LocationId,
            ContactKey = webhook.ContactKey,
            Duplicate = send.Duplicate,
            OutOfOrder = send.OutOfOrder,
            BadSignature = send.BadSignature,
            ScheduledAt = scheduledAt,
            SentAt = sentAt,
            Status = status,
            Attempts = attempts,
            LatencyMs = (DateTimeOffset.UtcNow - scheduledAt).TotalMilliseconds,
            Error = error,
        };
    }

    private static bool Retryable(int status) => status is 0 or 408 or 429 or >= 500;

    private async Task<(int Status, string? Error)> AttemptAsync(OutgoingWebhook webhook, bool badSignature, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Target)
        {
            Content = new ByteArrayContent(webhook.Body) { Headers = { ContentType = Json } },
        };
        foreach (var (name, value) in signer.Sign(webhook.Id, webhook.Body, DateTimeOffset.UtcNow, badSignature))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (0, ex is OperationCanceledException ? "timeout" : ex.Message);
        }
    }

    private void AddWithExtras(List<PlannedSend> plan, List<(int ReleaseAt, PlannedSend Send)> held, OutgoingWebhook webhook, int index, Random random, bool outOfOrder)
    {
        if (random.NextDouble() * 100 < options.BadSignaturePercent)
        {
            plan.Add(new PlannedSend(webhook, Duplicate: false, OutOfOrder: outOfOrder, BadSignature: true));
        }

        plan.Add(new PlannedSend(webhook, Duplicate: false, OutOfOrder: outOfOrder, BadSignature: false));
        if (random.NextDouble() * 100 < options.DuplicatePercent)
        {
            var releaseAt = index == int.MaxValue ? int.MaxValue : index + random.Next(1, 21);
            held.Add((releaseAt, new PlannedSend(webhook, Duplicate: true, OutOfOrder: outOfOrder, BadSignature: false)));
        }
    }

    /// <summary>Sends what was held until <paramref name="index"/>: held-back events (with their own extras) and repeats.</summary>
    private void Release(List<PlannedSend> plan, List<(int ReleaseAt, PlannedSend Send)> held, int index, Random random)
    {
        while (true)
        {
            var due = held.Where(h => h.ReleaseAt <= index).OrderBy(h => h.ReleaseAt).ToList();
            if (due.Count == 0)
            {
                return;
            }

            held.RemoveAll(h => h.ReleaseAt <= index);
            foreach (var (_, send) in due)
            {
                if (send.Duplicate)
                {
                    plan.Add(send);
                }
                else
                {
                    AddWithExtras(plan, held, send.Webhook, index, random, outOfOrder: true);
                }
            }
        }
    }
}

/// <summary>One send of the plan.</summary>
/// <param name="Webhook">The event.</param>
/// <param name="Duplicate">A repeat of an earlier send.</param>
/// <param name="OutOfOrder">Held back past later events.</param>
/// <param name="BadSignature">A forged copy with a corrupted signature.</param>
public sealed record PlannedSend(OutgoingWebhook Webhook, bool Duplicate, bool OutOfOrder, bool BadSignature);
