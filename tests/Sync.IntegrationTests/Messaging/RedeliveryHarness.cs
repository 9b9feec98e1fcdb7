using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Core;
using Sync.Messaging;
using Sync.Messaging.Redelivery;
using Sync.Testing;

namespace Sync.IntegrationTests.Messaging;

/// <summary>A message whose consumer fails as the test says.</summary>
public sealed record Flaky(string Id, FailureKind? FailWith, int FailTimes);

/// <summary>Runs a real bus on its own virtual host with one work queue under Sync's policy.</summary>
internal sealed class RedeliveryHarness : IAsyncDisposable
{
    public const string Queue = "flaky-work";

    private RedeliveryHarness(RabbitMqTestVirtualHost vhost, IHost host, Attempts attempts)
    {
        VirtualHost = vhost;
        Host = host;
        Seen = attempts;
    }

    public RabbitMqTestVirtualHost VirtualHost { get; }

    public IHost Host { get; }

    public Attempts Seen { get; }

    public static async Task<RedeliveryHarness> StartAsync(params int[] backoffSeconds)
    {
        var vhost = await RabbitMqTestVirtualHost.CreateAsync();
        var attempts = new Attempts();
        var settings = new Dictionary<string, string?>
        {
            ["Sync:RabbitMq:Host"] = vhost.Host,
            ["Sync:RabbitMq:Port"] = vhost.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sync:RabbitMq:VirtualHost"] = vhost.Name,
            ["Sync:RabbitMq:Username"] = vhost.Username,
            ["Sync:RabbitMq:Password"] = vhost.Password,
            ["Sync:Redelivery:ImmediateRetries"] = "1",
        };
        for (var i = 0; i < backoffSeconds.Length; i++)
        {
            settings[$"Sync:Redelivery:TransientBackoffSeconds:{i}"] = backoffSeconds[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddOptions<RabbitMqOptions>().Bind(builder.Configuration.GetSection(RabbitMqOptions.SectionName));
        builder.Services.AddSingleton(attempts);
        builder.Services.AddSyncRedelivery(builder.Configuration);
        builder.Services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.AddConsumer<FlakyConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(vhost.Host, (ushort)vhost.Port, vhost.Name, h =>
                {
                    h.Username(vhost.Username);
                    h.Password(vhost.Password);
                });
                cfg.ReceiveEndpoint(Queue, e =>
                {
                    e.ApplySyncWorkQueuePolicy(context);
                    e.ConfigureConsumer<FlakyConsumer>(context);
                });
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        await BusReadiness.WaitAsync(host.Services.GetRequiredService<IBusControl>(), TimeSpan.FromSeconds(60));
        return new RedeliveryHarness(vhost, host, attempts);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        await VirtualHost.DisposeAsync();
    }

    public Task PublishAsync(Flaky message) =>
        Host.Services.GetRequiredService<IBus>().Publish(message, ctx => ctx.MessageId = DeterministicId.Create(DeterministicId.WebhookNamespace, message.Id));

    internal sealed class Attempts
    {
        public ConcurrentQueue<(string Id, DateTimeOffset At, int Transient, int RateLimited)> All { get; } = new();

        public ConcurrentDictionary<string, TaskCompletionSource> Succeeded { get; } = new();

        public TaskCompletionSource SucceededFor(string id) =>
            Succeeded.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public int CountFor(string id) => All.Count(a => a.Id == id);
    }

    private sealed class FlakyConsumer(Attempts attempts) : IConsumer<Flaky>
    {
        public Task Consume(ConsumeContext<Flaky> context)
        {
            var message = context.Message;
            attempts.All.Enqueue((message.Id, DateTimeOffset.UtcNow,
                context.Headers.Get<int>(RedeliveryForwarder.TransientRedeliveriesHeader) ?? 0,
                context.Headers.Get<int>(RedeliveryForwarder.RateLimitDeferralsHeader) ?? 0));
            if (message.FailWith is { } kind && attempts.CountFor(message.Id) <= message.FailTimes)
            {
                throw new SyncFailureException(kind, $"planned {kind} failure", kind == FailureKind.RateLimited ? TimeSpan.FromSeconds(1) : null);
            }

            attempts.SucceededFor(message.Id).TrySetResult();
            return Task.CompletedTask;
        }
    }
}
