using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Sync.Emitter;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Benchmarks;

/// <summary>
/// P1, P2, P10 and P7 with one ingress process (the built Sync.Ingress) reaching RabbitMQ through a TCP proxy:
/// after a warm-up (rounds of webhooks until the ingress's JIT is idle), signed source webhooks sent by 64 connections
/// with the broker up (accepted/s, P1); then, still up, half as many
/// on an open-loop schedule at half P1's rate, and the same to a bare Kestrel endpoint by the same client (p99 ÷ p99,
/// P2); then a first outage to warm the spill path and the relay up (as many as in P1 spilled and drained, unmeasured);
/// then as many as in P1 with the proxy cut again (accepted/s while every one spills to the outbox, P10), and more with
/// the proxy still cut until the outbox holds the relay's backlog (10,000 rows in --quick); then the proxy restored and
/// the ingress's relay draining the spilled rows (rows/s from the first row marked sent to the last, by the rows' own
/// sent_at, P7).
/// Ledger: every webhook is answered 200 or refused with 429 (the sender retries those), every one answered 200 is in
/// the work queues at the end (or was, for the warm-up's, purged and counted before P1), nothing is left in the outbox.
/// </summary>
internal static class IngressThroughput
{
    private const int Connections = 64;
    private const int Locations = 4;

    public sealed record Result(
        Measurement Up, OpenLoopLatency Latency, OpenLoopLatency Kestrel, Measurement Down, Measurement Relay,
        long Sent, long Accepted, long Refused, long Queued, long LeftInOutbox, bool Balanced, string Settings, string LatencySettings);

    public static async Task<Result> RunAsync(int webhooks, int relayRows, TimeSpan warmUpLimit, string ingressDll, Progress progress)
    {
        await using var rig = await BenchRig.CreateAsync();
        for (var l = 0; l < Locations; l++)
        {
            await rig.InstallAsync(BenchRig.LocationId(l), "bench-token");
        }

        await using var broker = TcpProxy.Start(rig.VirtualHost.Host, rig.VirtualHost.Port);
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var signer = new StandardWebhookSigner(secret);
        using var platformKey = Ed25519WebhookSigner.Generate();
        var port = HostProcess.FreePort();
        using var ingress = HostProcess.Start(ingressDll, ["--urls", $"http://127.0.0.1:{port}"], "ingress", env =>
        {
            rig.ApplyHostSettings(env, "127.0.0.1", broker.Port);
            env["Sync__Ingress__Platform__Ed25519PublicKey"] = platformKey.PublicKeySpkiBase64;
            env["Sync__Ingress__Platform__AppId"] = "bench-app";
            env["Sync__Ingress__Sources__crm__Secrets__0"] = secret;
        });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections }) { Timeout = TimeSpan.FromSeconds(60) };
        var address = new Uri($"http://127.0.0.1:{port}");
        await ingress.WaitReadyAsync(http, address, "ingress");

        // A fresh ingress compiles its hot path for seconds under load: P1 is of a warm one. Rounds of webhooks until its
        // JIT has been idle (under 50 ms of compiling a second) for two rounds in a row, or the limit.
        var (warmSent, warmAccepted, warmRefused, warmSeconds, warmIdle) = await WarmUpAsync(http, address, signer, webhooks, warmUpLimit);
        // The warm-up's messages leave the queues (counted), so that the phases measured publish to queues as short as
        // the baselines' (a quorum queue tens of thousands deep takes publishes more slowly).
        var warmQueued = await rig.PurgeAsync([BenchRig.WebhookQueue, BenchRig.BacklogQueue]);
        Progress.Say(warmIdle
            ? $"ingress: JIT idle after {warmSeconds:0.#} s of warm-up ({warmSent:N0} webhooks)"
            : $"ingress: still compiling after {warmSeconds:0.#} s of warm-up ({warmSent:N0} webhooks); measuring all the same");

        var settings = $"{webhooks:N0} signed source webhooks per phase over {Locations} locations, {Connections} connections, ingress defaults, " +
                       $"after a warm-up of rounds of {webhooks:N0} until the ingress's JIT is idle (at most {warmUpLimit.TotalSeconds:0} s)";
        Progress.Say($"ingress: {webhooks:N0} webhooks with the broker up");
        var up = await SendAsync(http, address, signer, "up", webhooks);

        // P2: open-loop at half the peak just measured, the ingress first, then bare Kestrel with the same requests.
        var rate = Math.Max(1, up.Rate.PerSecond / 2);
        var latencyCount = Math.Max(50, webhooks / 2);
        var latencySettings = $"{latencyCount:N0} signed webhooks open-loop at {rate:N0}/s (half P1's peak), {Connections} connections, latency from each one's due time";
        Progress.Say($"ingress: {latencyCount:N0} webhooks open-loop at {rate:N0}/s");
        var latency = await OpenLoopLatency.SendAsync(http, signer, new Uri(address, "/webhooks/sources/crm"), Events("latency", latencyCount), rate, Connections);
        Progress.Say($"ingress open-loop: p50 {latency.P50:F1} ms, p99 {latency.P99:F1} ms, max {latency.Max:F1} ms, {latency.Answered200:N0}/{latency.Sent:N0} answered 200");
        var kestrel = await Baselines.BareKestrelAsync(http, signer, Events("kestrel", latencyCount), rate, Connections);
        Progress.Say($"bare Kestrel open-loop: p50 {kestrel.P50:F1} ms, p99 {kestrel.P99:F1} ms, max {kestrel.Max:F1} ms");

        // The spill path and the relay are cold until they have run once: a first outage, spilled and drained, unmeasured.
        var outbox = rig.Storage.GetRequiredService<IOutboxStore>();
        broker.Disconnect();
        Progress.Say($"ingress: warming up the spill path and the relay ({webhooks:N0} webhooks with the broker unreachable, then drained)");
        var (_, warmSpilled, warmSpillRefused) = await SendAsync(http, address, signer, "warm-spill", webhooks, quietly: true);
        broker.Reconnect();
        var warmDeadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while ((await outbox.GetBacklogAsync(CancellationToken.None)).Pending > 0 && DateTime.UtcNow < warmDeadline)
        {
            await Task.Delay(50);
        }

        broker.Disconnect();
        Progress.Say($"ingress: {webhooks:N0} webhooks with the broker unreachable");
        var down = await SendAsync(http, address, signer, "down", webhooks);

        // P7 is of a backlog long enough to be a rate: P10's rows and, with the broker still cut, more up to relayRows
        // (a drain of a few rounds is mostly the first round's latency).
        var more = Math.Max(0, relayRows - webhooks);
        var (_, moreSpilled, moreRefused) = more > 0 ? await SendAsync(http, address, signer, "relay-backlog", more, quietly: true) : default;

        var spilled = (await outbox.GetBacklogAsync(CancellationToken.None)).Pending;
        var reconnectedAt = DateTimeOffset.UtcNow;
        broker.Reconnect();
        Progress.Say($"ingress: relay drains {spilled:N0} spilled rows");
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        long pending = spilled;
        while (pending > 0 && DateTime.UtcNow < deadline)
        {
            // Looked at five times a second: the rate comes from the rows' own sent_at, and counting the outbox fifty
            // times a second took database CPU from the relay it measures.
            await Task.Delay(200);
            pending = (await outbox.GetBacklogAsync(CancellationToken.None)).Pending;
            progress.Report("relay drains the outbox", spilled - pending, spilled);
        }

        var (relayed, relaySeconds) = await SentSpanAsync(rig, reconnectedAt);
        var queued = warmQueued + await rig.MessageCountAsync([BenchRig.WebhookQueue, BenchRig.BacklogQueue]);
        ingress.Kill();
        var sent = warmSent + 3L * webhooks + latencyCount + more;
        var accepted = warmAccepted + up.Accepted + latency.Answered200 + warmSpilled + down.Accepted + moreSpilled;
        var refused = warmRefused + up.Refused + latency.Refused + warmSpillRefused + down.Refused + moreRefused;
        var balanced = accepted + refused == sent && queued >= accepted && pending == 0;
        return new Result(up.Rate, latency, kestrel, down.Rate, new Measurement((relayed - 1) / relaySeconds, relayed, relaySeconds),
            sent, accepted, refused, queued, pending, balanced, settings, latencySettings);
    }

    private static async Task<(long Sent, long Accepted, long Refused, double Seconds, bool Idle)> WarmUpAsync(
        HttpClient http, Uri address, IWebhookSigner signer, int round, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        long sent = 0, accepted = 0, refused = 0;
        var jit = new JitWatch();
        jit.Observe([await JitSecondsAsync(http, address)]);
        for (var i = 0; !jit.Idle && clock.Elapsed < limit; i++)
        {
            var (_, roundAccepted, roundRefused) = await SendAsync(http, address, signer, $"warm{i}", round, quietly: true);
            sent += round;
            accepted += roundAccepted;
            refused += roundRefused;
            jit.Observe([await JitSecondsAsync(http, address)]);
        }

        return (sent, accepted, refused, clock.Elapsed.TotalSeconds, jit.Idle);
    }

    private static async Task<double> JitSecondsAsync(HttpClient http, Uri address) =>
        JitWatch.CompiledSeconds(await http.GetStringAsync(new Uri(address, "/metrics")));

    // The rows sent since the proxy was restored, and the time from the first one's sent_at to the last one's (each batch
    // is stamped as it is marked sent, so the first batch's own publishing is not in the span: hence rows - 1 per span).
    private static async Task<(long Rows, double Seconds)> SentSpanAsync(BenchRig rig, DateTimeOffset since)
    {
        await using var connection = new NpgsqlConnection(rig.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT COUNT(*), EXTRACT(EPOCH FROM MAX(sent_at) - MIN(sent_at))::float8 FROM sync.outbox WHERE sent_at >= @since", connection);
        command.Parameters.AddWithValue("since", since);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.IsDBNull(1) ? double.NaN : reader.GetDouble(1));
    }

    private static List<OutgoingWebhook> Events(string phase, int count)
    {
        var now = DateTimeOffset.UtcNow;
        return [.. Enumerable.Range(0, count).Select(i => new SourceEvent(SourceEventTypes.Upserted, $"bench-{phase}-{i:D7}", now.AddMilliseconds(i),
            BenchRig.LocationId(i % Locations), new SourceContact { Email = $"bench-{phase}-{i:D7}@example.com", FirstName = "Bench" }, null).ToOutgoing())];
    }

    // Refused: answered 429 (the ingress's answer to a webhook it could not hand over in time; the sender retries it).
    private static async Task<(Measurement Rate, long Accepted, long Refused)> SendAsync(
        HttpClient http, Uri address, IWebhookSigner signer, string phase, int count, bool quietly = false)
    {
        var events = Events(phase, count);
        var options = new EmitterOptions { Target = new Uri(address, "/webhooks/sources/crm"), Concurrency = Connections };
        var clock = Stopwatch.StartNew();
        var report = await new WebhookEmitter(http, signer, options).SendAsync(events);
        var seconds = clock.Elapsed.TotalSeconds;
        var accepted = report.Entries.Count(e => e.Status == 200);
        if (!quietly)
        {
            Progress.Say($"ingress {phase}: {string.Join(", ", report.ByStatus.OrderBy(s => s.Key).Select(s => $"status {s.Key}: {s.Value}"))}; " +
                         $"p50 {report.LatencyPercentile(50):F1} ms, p99 {report.LatencyPercentile(99):F1} ms");
        }

        return (new Measurement(accepted / seconds, accepted, seconds), accepted, report.Entries.Count(e => e.Status == 429));
    }
}
