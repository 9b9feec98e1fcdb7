using System.Threading.RateLimiting;
using System.Diagnostics;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sync.Emitter;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Sync.Testing;

namespace Sync.Benchmarks;

/// <summary>The baselines every figure is a ratio against, measured in the same run on the same broker.</summary>
internal static class Baselines
{
    private static readonly Dictionary<string, object?> Quorum = new() { ["x-queue-type"] = "quorum" };

    /// <summary>
    /// Raw RabbitMQ.Client 7: persistent messages of <paramref name="bodySize"/> bytes published with confirms (at most
    /// <paramref name="window"/> in flight) to a quorum queue, drained at the same time by a consumer with manual acks;
    /// messages per second from the first publish to the last delivery.
    /// </summary>
    public static async Task<Measurement> RawBrokerAsync(int count, int window, int bodySize, Progress progress)
    {
        await using var vhost = await RabbitMqTestVirtualHost.CreateAsync("sync-bench");
        var factory = new ConnectionFactory { Uri = vhost.AmqpUri, ClientProvidedName = "sync-bench-raw" };
        await using var connection = await factory.CreateConnectionAsync();
        await using var consumerChannel = await connection.CreateChannelAsync();
        await consumerChannel.QueueDeclareAsync("bench-raw", durable: true, exclusive: false, autoDelete: false, arguments: Quorum);
        await consumerChannel.BasicQosAsync(0, 200, false);
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            if (Interlocked.Increment(ref received) == count)
            {
                done.TrySetResult();
            }
        };
        await consumerChannel.BasicConsumeAsync("bench-raw", autoAck: false, consumer);

        await using var publishChannel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true,
            // A plain cap of `window` outstanding confirms. Not RabbitMQ.Client's ThrottlingRateLimiter: once more than
            // half its permits are out it delays each publish by up to a second, and a baseline that starts while the
            // broker is slow to confirm then stays near `window` messages a second (seen: 145 msg/s against 7,500).
            outstandingPublisherConfirmationsRateLimiter: new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = window,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            })));
        var body = new byte[bodySize];
        Random.Shared.NextBytes(body);
        var properties = new BasicProperties { Persistent = true };
        var clock = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(window);
        var inFlight = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            await gate.WaitAsync();
            inFlight.Add(PublishAsync());
            progress.Report("raw broker", i + 1, count);
        }

        await Task.WhenAll(inFlight);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var seconds = clock.Elapsed.TotalSeconds;
        return new Measurement(count / seconds, count, seconds);

        async Task PublishAsync()
        {
            try
            {
                await publishChannel.BasicPublishAsync("", "bench-raw", mandatory: true, properties, body);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>
    /// Bare MassTransit 8: the same messages published through a bus (publisher confirms, at most
    /// <paramref name="window"/> in flight) to an empty consumer on a quorum queue.
    /// </summary>
    public static async Task<Measurement> BareMassTransitAsync(int count, int window, int bodySize, Progress progress)
    {
        await using var vhost = await RabbitMqTestVirtualHost.CreateAsync("sync-bench");
        var counter = new Counter(count);
        var services = new ServiceCollection();
        services.AddSingleton(counter);
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddConsumer<EmptyConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(vhost.Host, (ushort)vhost.Port, vhost.Name, h =>
                {
                    h.Username(vhost.Username);
                    h.Password(vhost.Password);
                    h.PublisherConfirmation = true;
                });
                cfg.ReceiveEndpoint("bench-mt", e =>
                {
                    e.SetQuorumQueue();
                    e.PrefetchCount = 200;
                    e.ConfigureConsumer<EmptyConsumer>(context);
                });
            });
        });
        await using var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync();
        try
        {
            var payload = new string('x', bodySize);
            var clock = Stopwatch.StartNew();
            using var gate = new SemaphoreSlim(window);
            var inFlight = new List<Task>(count);
            for (var i = 0; i < count; i++)
            {
                await gate.WaitAsync();
                inFlight.Add(PublishAsync(i));
                progress.Report("bare MassTransit", i + 1, count);
            }

            await Task.WhenAll(inFlight);
            await counter.Done.WaitAsync(TimeSpan.FromMinutes(5));
            var seconds = clock.Elapsed.TotalSeconds;
            return new Measurement(count / seconds, count, seconds);

            async Task PublishAsync(int i)
            {
                try
                {
                    await bus.Publish(new BenchMessage(i, payload));
                }
                finally
                {
                    gate.Release();
                }
            }
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    /// <summary>
    /// Bare Kestrel: a minimal-API POST in this process that reads the body and answers 200, sent the same signed
    /// webhooks by the same client (<paramref name="http"/>, its connections) on the same open-loop schedule as the
    /// ingress: request i due at start + i/<paramref name="rate"/>, latency from then to the answer.
    /// </summary>
    public static async Task<OpenLoopLatency> BareKestrelAsync(
        HttpClient http, IWebhookSigner signer, IReadOnlyList<OutgoingWebhook> events, double rate, int connections)
    {
        var port = HostProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var app = builder.Build();
        app.MapPost("/webhooks/sources/crm", static async (HttpRequest request) =>
        {
            var buffer = new byte[16 * 1024];
            while (await request.Body.ReadAsync(buffer) > 0)
            {
            }

            return Results.Ok();
        });
        await app.StartAsync();
        try
        {
            // A warm-up first (closed-loop, not measured): the ingress has served P1 before its open-loop run, so a cold
            // endpoint's JIT and connection set-up would otherwise count against the baseline alone.
            await new WebhookEmitter(http, signer, new EmitterOptions { Target = new Uri($"http://127.0.0.1:{port}/webhooks/sources/crm"), Concurrency = connections })
                .SendAsync([.. events.Take(Math.Min(events.Count, 4 * connections))]);
            return await OpenLoopLatency.SendAsync(http, signer, new Uri($"http://127.0.0.1:{port}/webhooks/sources/crm"), events, rate, connections);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    /// <summary>A message of the bare MassTransit baseline.</summary>
    public sealed record BenchMessage(int Sequence, string Payload);

    private sealed class Counter(int expected)
    {
        private int _seen;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Done => _done.Task;

        public void Seen()
        {
            if (Interlocked.Increment(ref _seen) == expected)
            {
                _done.TrySetResult();
            }
        }
    }

    private sealed class EmptyConsumer(Counter counter) : IConsumer<BenchMessage>
    {
        public Task Consume(ConsumeContext<BenchMessage> context)
        {
            counter.Seen();
            return Task.CompletedTask;
        }
    }
}

/// <summary>Latencies of an open-loop run, in milliseconds from each request's scheduled time to its answer.</summary>
internal sealed record OpenLoopLatency(double Rate, int Sent, int Answered200, int Refused, double P50, double P99, double Max)
{
    /// <summary>Sends <paramref name="events"/> signed, request i due at start + i/<paramref name="rate"/>.</summary>
    public static async Task<OpenLoopLatency> SendAsync(
        HttpClient http, IWebhookSigner signer, Uri target, IReadOnlyList<OutgoingWebhook> events, double rate, int connections)
    {
        // The emitter's schedule is open-loop: with a rate set, each send's latency runs from its due time, so a
        // send that waited for a free connection counts that wait.
        var options = new EmitterOptions { Target = target, Rate = rate, Concurrency = connections };
        var report = await new WebhookEmitter(http, signer, options).SendAsync(events);
        var answered = report.Entries.Where(e => e.Status != 0).Select(e => e.LatencyMs).ToList();
        return new OpenLoopLatency(rate, report.Sent, report.Entries.Count(e => e.Status == 200), report.Entries.Count(e => e.Status == 429),
            report.LatencyPercentile(50), report.LatencyPercentile(99), answered.Count == 0 ? 0 : answered.Max());
    }
}

/// <summary>A throughput and what it was measured over.</summary>
internal sealed record Measurement(double PerSecond, long Count, double Seconds);

/// <summary>Progress on the terminal (stderr), at most a few lines a second.</summary>
internal sealed class Progress
{
    private static readonly long Started = Stopwatch.GetTimestamp();
    private long _lastTicks;

    public void Report(string stage, long done, long total)
    {
        var now = Stopwatch.GetTimestamp();
        if (done != total && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastTicks), now) < TimeSpan.FromSeconds(2))
        {
            return;
        }

        Interlocked.Exchange(ref _lastTicks, now);
        Console.Error.WriteLine($"[bench {Elapsed}] {stage}: {done:N0}/{total:N0}");
    }

    public static void Say(string line) => Console.Error.WriteLine($"[bench {Elapsed}] {line}");

    // Seconds since the run started, so the time each stage takes shows on the terminal.
    private static string Elapsed => Stopwatch.GetElapsedTime(Started).TotalSeconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + "s";
}
