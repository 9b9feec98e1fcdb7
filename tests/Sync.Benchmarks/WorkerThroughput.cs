using System.Diagnostics;
using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Sync.Contracts;
using Sync.Core;
using Sync.Emitter;
using Sync.Messaging.Redelivery;
using Sync.Sandbox;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Benchmarks;

/// <summary>
/// P3 and P8: upsert events pre-queued on the worker's queue (as the ingress publishes them), then drained by one
/// worker process (the built Sync.Worker, started as a process of its own) against the sandbox with its rate limit
/// off and the worker's own limit off. Applied/s from the first contact the sandbox sees to the last; the worker's
/// peak RSS while it drains.
/// </summary>
internal static class WorkerThroughput
{
    private static readonly string Key = Convert.ToBase64String(Encoding.ASCII.GetBytes("benchmark-token-key-of-32-bytes!"));

    public sealed record Result(Measurement Applied, long PeakRssBytes, long Sent, long AppliedCount, long DeadLettered, bool Balanced, string Settings, IReadOnlyList<StageBreakdown.Stage> Stages, IReadOnlyDictionary<string, double> CpuSeconds);

    public static async Task<Result> RunAsync(int events, int locations, string workerDll, Progress progress)
    {
        await using var vhost = await RabbitMqTestVirtualHost.CreateAsync("sync-bench");
        await using var database = await PostgresTestDatabase.CreateAsync("sync_bench");
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { RateLimit = { Enabled = false } });

        // The database: migrated, with one private-integration installation per location.
        var storage = new ServiceCollection().AddLogging().AddSyncStorage(o =>
        {
            o.Provider = DatabaseProvider.PostgreSql;
            o.ConnectionString = database.ConnectionString;
            o.ActiveKeyId = "bench";
            o.EncryptionKeys["bench"] = Key;
        }).BuildServiceProvider();
        await using (storage)
        {
            await storage.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);
            var installations = storage.GetRequiredService<IInstallationStore>();
            for (var l = 0; l < locations; l++)
            {
                var location = LocationId(l);
                var grant = sandbox.State.Tokens.RegisterPrivateToken(location);
                await installations.SaveAsync(new Installation(location, null, AuthMode.PrivateIntegration, InstallationStatus.Active,
                    grant.Token, null, null, DateTimeOffset.UtcNow), CancellationToken.None);
            }
        }

        // The topology, then the backlog, before any worker runs.
        var factory = new ConnectionFactory { Uri = vhost.AmqpUri };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await RedeliveryTopologyInitializer.DeclareAsync(channel, new RedeliveryPolicyOptions(), CancellationToken.None);
        }

        await PreQueueAsync(vhost, events, locations, progress);

        var settings = $"quorum queues, {events:N0} upserts over {locations} locations (rate over the last {events - events / 5:N0}, after a warm-up), sandbox limit off and latency 0, worker limit off, worker defaults";
        var metricsPort = FreeTcpPort();
        using var worker = StartWorker(workerDll, vhost, database, sandbox, metricsPort);
        var peakRss = 0L;
        CpuMeter? cpu = null;
        IReadOnlyDictionary<string, double> cpuSeconds = new Dictionary<string, double>();
        Stopwatch? clock = null;

        // The first fifth of the backlog warms the worker up (the JIT tiers its hot path up, pools fill); applied/s, the
        // CPU split and the stage breakdown are measured over the rest, in steady state.
        var warmUp = events / 5;
        long appliedAtStart = 0;
        string? metricsAtStart = null;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        long applied = 0;
        while (DateTime.UtcNow < deadline && !worker.HasExited)
        {
            worker.Refresh();
            peakRss = Math.Max(peakRss, worker.WorkingSet64);
            applied = sandbox.State.Contacts.Locations().Sum(l => (long)sandbox.State.Contacts.ForLocation(l).Count);
            if (applied >= warmUp && clock is null)
            {
                clock = Stopwatch.StartNew();
                appliedAtStart = applied;
                metricsAtStart = await TryMetricsAsync(http, metricsPort);
                cpu = CpuMeter.Start(() => [worker.Id]);
            }

            progress.Report("worker drains upserts", applied, events);
            if (applied >= events)
            {
                cpuSeconds = cpu?.Stop() ?? cpuSeconds;
                break;
            }

            await Task.Delay(50);
        }

        var seconds = clock?.Elapsed.TotalSeconds ?? double.NaN;
        var deadLettered = 0L;
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            foreach (var queue in new[] { "webhook-received_error", "change-contact-tags_error", "sync-poison" })
            {
                deadLettered += (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
            }
        }

        var metricsAtEnd = await TryMetricsAsync(http, metricsPort);
        IReadOnlyList<StageBreakdown.Stage> stages = metricsAtStart is null || metricsAtEnd is null
            ? []
            : StageBreakdown.Between(StageBreakdown.Parse(metricsAtStart), StageBreakdown.Parse(metricsAtEnd));

        if (!worker.HasExited)
        {
            worker.Kill(entireProcessTree: true);
        }

        var balanced = applied + deadLettered == events;
        return new Result(new Measurement((applied - appliedAtStart) / seconds, applied - appliedAtStart, seconds), peakRss, events, applied, deadLettered, balanced, settings, stages, cpuSeconds);
    }

    private static string LocationId(int i) => $"BenchLocation{i:D7}";

    private static async Task PreQueueAsync(RabbitMqTestVirtualHost vhost, int events, int locations, Progress progress)
    {
        var services = new ServiceCollection();
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.UsingRabbitMq((_, cfg) => cfg.Host(vhost.Host, (ushort)vhost.Port, vhost.Name, h =>
            {
                h.Username(vhost.Username);
                h.Password(vhost.Password);
                h.PublisherConfirmation = true;
            }));
        });
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync();
        try
        {
            var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var gate = new SemaphoreSlim(128);
            var inFlight = new List<Task>(events);
            for (var i = 0; i < events; i++)
            {
                var location = LocationId(i % locations);
                var e = new SourceEvent(SourceEventTypes.Upserted, $"bench-{i:D7}", t0.AddMilliseconds(i), location,
                    new SourceContact { Email = $"bench{i:D7}@example.com", FirstName = "Bench", LastName = $"No{i}" }, null);
                var message = new WebhookReceived("crm", e.Id, e.Type, location, e.OccurredAt, DateTimeOffset.UtcNow, Encoding.UTF8.GetString(e.ToJson()));
                await gate.WaitAsync();
                inFlight.Add(PublishAsync(bus, message, gate));
                progress.Report("queueing upserts", i + 1, events);
            }

            await Task.WhenAll(inFlight);
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private static async Task PublishAsync(IBus bus, WebhookReceived message, SemaphoreSlim gate)
    {
        try
        {
            await bus.Publish(message, ctx => ctx.MessageId = DeterministicId.ForWebhook(message.Source, message.EventId));
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task<string?> TryMetricsAsync(HttpClient http, int port)
    {
        try
        {
            return await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        }
        catch (HttpRequestException ex)
        {
            Progress.Say($"the worker's /metrics could not be read ({ex.Message}): no stage breakdown");
            return null;
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Process StartWorker(string workerDll, RabbitMqTestVirtualHost vhost, PostgresTestDatabase database, SandboxServer sandbox, int metricsPort)
    {
        var start = new ProcessStartInfo("dotnet", [workerDll])
        {
            WorkingDirectory = Path.GetDirectoryName(workerDll)!,
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
        env["Sync__RabbitMq__Host"] = vhost.Host;
        env["Sync__RabbitMq__Port"] = vhost.Port.ToString(CultureInfo.InvariantCulture);
        env["Sync__RabbitMq__VirtualHost"] = vhost.Name;
        env["Sync__RabbitMq__Username"] = vhost.Username;
        env["Sync__RabbitMq__Password"] = vhost.Password;
        env["Sync__HoopAi__BaseUrl"] = sandbox.BaseAddress.ToString();
        env["Sync__HoopAi__RateLimitEnabled"] = "false";
        env["Sync__Worker__Http__Urls"] = $"http://127.0.0.1:{metricsPort}";
        var process = Process.Start(start) ?? throw new InvalidOperationException("The worker did not start.");
        process.OutputDataReceived += (_, line) => { };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { Length: > 0 } text)
            {
                Console.Error.WriteLine("[worker] " + text);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
