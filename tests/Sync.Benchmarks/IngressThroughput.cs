using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Sync.Emitter;
using Sync.Messaging.Redelivery;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Benchmarks;

/// <summary>
/// P1, P10 and P7 with one ingress process (the built Sync.Ingress) reaching RabbitMQ through a TCP proxy:
/// signed source webhooks sent by 64 connections with the broker up (accepted/s, P1), then as many with the proxy cut
/// (accepted/s while every one spills to the outbox, P10), then the proxy restored and the ingress's relay draining the
/// spilled rows (rows/s from the first row sent to the last, P7). Ledger: every webhook answered 200 is in the work
/// queue at the end, nothing is left in the outbox.
/// </summary>
internal static class IngressThroughput
{
    private const int Connections = 64;
    private const int Locations = 4;
    private static readonly string Key = Convert.ToBase64String(Encoding.ASCII.GetBytes("benchmark-token-key-of-32-bytes!"));

    public sealed record Result(
        Measurement Up, Measurement Down, Measurement Relay, long Sent, long Accepted, long Queued, long LeftInOutbox, bool Balanced, string Settings);

    public static async Task<Result> RunAsync(int webhooks, string ingressDll, Progress progress)
    {
        await using var vhost = await RabbitMqTestVirtualHost.CreateAsync("sync-bench");
        await using var database = await PostgresTestDatabase.CreateAsync("sync_bench");
        var storage = new ServiceCollection().AddLogging().AddSyncStorage(o =>
        {
            o.Provider = DatabaseProvider.PostgreSql;
            o.ConnectionString = database.ConnectionString;
            o.ActiveKeyId = "bench";
            o.EncryptionKeys["bench"] = Key;
        }).BuildServiceProvider();
        await using var _ = storage;
        await storage.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);
        for (var l = 0; l < Locations; l++)
        {
            await storage.GetRequiredService<IInstallationStore>().SaveAsync(new Installation(LocationId(l), null, AuthMode.PrivateIntegration,
                InstallationStatus.Active, "bench-token", null, null, DateTimeOffset.UtcNow), CancellationToken.None);
        }

        var factory = new ConnectionFactory { Uri = vhost.AmqpUri };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await RedeliveryTopologyInitializer.DeclareAsync(channel, new RedeliveryPolicyOptions(), CancellationToken.None);
        }

        await using var broker = TcpProxy.Start(vhost.Host, vhost.Port);
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        using var platformKey = Ed25519WebhookSigner.Generate();
        var port = FreePort();
        using var ingress = StartIngress(ingressDll, port, vhost, broker.Port, database, secret, platformKey.PublicKeySpkiBase64);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Connections }) { Timeout = TimeSpan.FromSeconds(60) };
        var address = new Uri($"http://127.0.0.1:{port}");
        await WaitReadyAsync(http, address, ingress);

        var settings = $"{webhooks:N0} signed source webhooks per phase over {Locations} locations, {Connections} connections, ingress defaults";
        Progress.Say($"ingress: {webhooks:N0} webhooks with the broker up");
        var up = await SendAsync(http, address, secret, "up", webhooks);
        broker.Disconnect();
        Progress.Say($"ingress: {webhooks:N0} webhooks with the broker unreachable");
        var down = await SendAsync(http, address, secret, "down", webhooks);

        var outbox = storage.GetRequiredService<IOutboxStore>();
        var spilled = (await outbox.GetBacklogAsync(CancellationToken.None)).Pending;
        broker.Reconnect();
        Progress.Say($"ingress: relay drains {spilled:N0} spilled rows");
        Stopwatch? clock = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        long pending = spilled;
        while (pending > 0 && DateTime.UtcNow < deadline)
        {
            pending = (await outbox.GetBacklogAsync(CancellationToken.None)).Pending;
            if (pending < spilled && clock is null)
            {
                clock = Stopwatch.StartNew();
            }

            progress.Report("relay drains the outbox", spilled - pending, spilled);
            await Task.Delay(20);
        }

        var relaySeconds = clock?.Elapsed.TotalSeconds ?? double.NaN;
        long queued;
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            queued = (await channel.QueueDeclarePassiveAsync("webhook-received")).MessageCount;
        }

        ingress.Kill(entireProcessTree: true);
        var accepted = up.Accepted + down.Accepted;
        var balanced = accepted == 2L * webhooks && queued >= accepted && pending == 0;
        return new Result(up.Rate, down.Rate, new Measurement((spilled - 1) / relaySeconds, spilled, relaySeconds),
            2L * webhooks, accepted, queued, pending, balanced, settings);
    }

    private static async Task<(Measurement Rate, long Accepted)> SendAsync(HttpClient http, Uri address, string secret, string phase, int count)
    {
        var now = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, count).Select(i => new SourceEvent(SourceEventTypes.Upserted, $"bench-{phase}-{i:D7}", now.AddMilliseconds(i),
            LocationId(i % Locations), new SourceContact { Email = $"bench-{phase}-{i:D7}@example.com", FirstName = "Bench" }, null).ToOutgoing()).ToList();
        var options = new EmitterOptions { Target = new Uri(address, "/webhooks/sources/crm"), Concurrency = Connections };
        var clock = Stopwatch.StartNew();
        var report = await new WebhookEmitter(http, new StandardWebhookSigner(secret), options).SendAsync(events);
        var seconds = clock.Elapsed.TotalSeconds;
        var accepted = report.Entries.Count(e => e.Status == 200);
        Progress.Say($"ingress {phase}: {string.Join(", ", report.ByStatus.OrderBy(s => s.Key).Select(s => $"status {s.Key}: {s.Value}"))}; " +
                     $"p50 {report.LatencyPercentile(50):F1} ms, p99 {report.LatencyPercentile(99):F1} ms");
        return (new Measurement(accepted / seconds, accepted, seconds), accepted);
    }

    private static string LocationId(int i) => $"BenchLocation{i:D7}";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitReadyAsync(HttpClient http, Uri address, Process ingress)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !ingress.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(address, "/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException("The ingress did not become ready.");
    }

    private static Process StartIngress(
        string ingressDll, int port, RabbitMqTestVirtualHost vhost, int brokerPort, PostgresTestDatabase database, string secret, string platformKey)
    {
        var start = new ProcessStartInfo("dotnet", [ingressDll, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = Path.GetDirectoryName(ingressDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var env = start.Environment;
        env["DOTNET_ENVIRONMENT"] = "Production";
        env["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        env["Logging__LogLevel__Default"] = "Warning";
        env["Sync__Storage__Provider"] = "PostgreSql";
        env["Sync__Storage__ConnectionString"] = database.ConnectionString;
        env["Sync__Storage__ActiveKeyId"] = "bench";
        env["Sync__Storage__EncryptionKeys__bench"] = Key;
        env["Sync__RabbitMq__Host"] = "127.0.0.1";
        env["Sync__RabbitMq__Port"] = brokerPort.ToString(CultureInfo.InvariantCulture);
        env["Sync__RabbitMq__VirtualHost"] = vhost.Name;
        env["Sync__RabbitMq__Username"] = vhost.Username;
        env["Sync__RabbitMq__Password"] = vhost.Password;
        env["Sync__Ingress__Platform__Ed25519PublicKey"] = platformKey;
        env["Sync__Ingress__Platform__AppId"] = "bench-app";
        env["Sync__Ingress__Sources__crm__Secrets__0"] = secret;
        var process = Process.Start(start) ?? throw new InvalidOperationException("The ingress did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { Length: > 0 } text)
            {
                Console.Error.WriteLine("[ingress] " + text);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
