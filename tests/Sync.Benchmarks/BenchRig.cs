using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using Sync.Contracts;
using Sync.Core;
using Sync.Emitter;
using Sync.Messaging.Redelivery;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Benchmarks;

/// <summary>
/// What every measured run of a Sync host starts from: a fresh RabbitMQ virtual host with Sync's topology (work queues,
/// error queues, wait tiers) declared, a fresh PostgreSQL database migrated, its storage services, and the settings a
/// host process needs to reach both.
/// </summary>
internal sealed class BenchRig : IAsyncDisposable
{
    /// <summary>The token encryption key every bench host and the rig's own storage use.</summary>
    public static readonly string Key = Convert.ToBase64String(Encoding.ASCII.GetBytes("benchmark-token-key-of-32-bytes!"));

    /// <summary>The work queue of webhook events.</summary>
    public const string WebhookQueue = "webhook-received";

    /// <summary>The work queue of tag commands.</summary>
    public const string TagQueue = "change-contact-tags";

    private readonly ServiceProvider _storage;

    private BenchRig(RabbitMqTestVirtualHost vhost, PostgresTestDatabase database, ServiceProvider storage)
    {
        VirtualHost = vhost;
        Database = database;
        _storage = storage;
    }

    public RabbitMqTestVirtualHost VirtualHost { get; }

    public PostgresTestDatabase Database { get; }

    public IServiceProvider Storage => _storage;

    /// <summary>Where dead-lettered messages of the work queues end up.</summary>
    public static IReadOnlyList<string> DeadLetterQueues { get; } = [WebhookQueue + "_error", TagQueue + "_error", "sync-poison"];

    /// <summary>The wait queues of the default delay tiers.</summary>
    public static IReadOnlyList<string> WaitQueues { get; } = [.. DelayTiers.Default.Select(DelayTiers.NameOf)];

    /// <summary>Where a message not yet done waits: the work queues and the wait tiers.</summary>
    public static IReadOnlyList<string> PendingQueues { get; } = [WebhookQueue, TagQueue, .. WaitQueues];

    public static string LocationId(int i) => $"BenchLocation{i:D7}";

    public static async Task<BenchRig> CreateAsync()
    {
        var vhost = await RabbitMqTestVirtualHost.CreateAsync("sync-bench");
        var database = await PostgresTestDatabase.CreateAsync("sync_bench");
        var storage = new ServiceCollection().AddLogging().AddSyncStorage(o =>
        {
            o.Provider = DatabaseProvider.PostgreSql;
            o.ConnectionString = database.ConnectionString;
            o.ActiveKeyId = "bench";
            o.EncryptionKeys["bench"] = Key;
        }).BuildServiceProvider();
        await storage.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);

        var factory = new ConnectionFactory { Uri = vhost.AmqpUri };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await RedeliveryTopologyInitializer.DeclareAsync(channel, new RedeliveryPolicyOptions(), CancellationToken.None);
        }

        return new BenchRig(vhost, database, storage);
    }

    /// <summary>Installs a location as a private integration with <paramref name="token"/>.</summary>
    public Task InstallAsync(string location, string token) =>
        _storage.GetRequiredService<IInstallationStore>().SaveAsync(new Installation(location, null, AuthMode.PrivateIntegration,
            InstallationStatus.Active, token, null, null, DateTimeOffset.UtcNow), CancellationToken.None);

    /// <summary>Messages ready in the queues, summed (stop the consumers first: a message a consumer holds is not counted).</summary>
    public async Task<long> MessageCountAsync(IEnumerable<string> queues)
    {
        var factory = new ConnectionFactory { Uri = VirtualHost.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var total = 0L;
        foreach (var queue in queues)
        {
            total += (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }

        return total;
    }

    /// <summary>The settings a Sync host process needs for this rig's database and broker (the broker maybe through a proxy).</summary>
    public void ApplyHostSettings(IDictionary<string, string?> env, string? brokerHost = null, int? brokerPort = null)
    {
        env["DOTNET_ENVIRONMENT"] = "Production";
        env["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        env["Logging__LogLevel__Default"] = "Warning";
        env["Sync__Storage__Provider"] = "PostgreSql";
        env["Sync__Storage__ConnectionString"] = Database.ConnectionString;
        env["Sync__Storage__ActiveKeyId"] = "bench";
        env["Sync__Storage__EncryptionKeys__bench"] = Key;
        env["Sync__RabbitMq__Host"] = brokerHost ?? VirtualHost.Host;
        env["Sync__RabbitMq__Port"] = (brokerPort ?? VirtualHost.Port).ToString(CultureInfo.InvariantCulture);
        env["Sync__RabbitMq__VirtualHost"] = VirtualHost.Name;
        env["Sync__RabbitMq__Username"] = VirtualHost.Username;
        env["Sync__RabbitMq__Password"] = VirtualHost.Password;
    }

    /// <summary>A source event as the ingress publishes it onto the work queue.</summary>
    public static WebhookReceived AsPublished(SourceEvent e) =>
        new("crm", e.Id, e.Type, e.LocationId, e.OccurredAt, DateTimeOffset.UtcNow, Encoding.UTF8.GetString(e.ToJson()));

    /// <summary>A bus on this rig's virtual host with publisher confirms, started; stop it with <see cref="IBusControl.StopAsync"/>.</summary>
    public async Task<(ServiceProvider Provider, IBusControl Bus)> StartBusAsync()
    {
        var services = new ServiceCollection();
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            x.UsingRabbitMq((_, cfg) => cfg.Host(VirtualHost.Host, (ushort)VirtualHost.Port, VirtualHost.Name, h =>
            {
                h.Username(VirtualHost.Username);
                h.Password(VirtualHost.Password);
                h.PublisherConfirmation = true;
            }));
        });
        var provider = services.BuildServiceProvider();
        var bus = provider.GetRequiredService<IBusControl>();
        await bus.StartAsync();
        return (provider, bus);
    }

    /// <summary>Publishes source events as the ingress does (same message ids), 128 in flight, before any worker runs.</summary>
    public async Task PreQueueAsync(IReadOnlyList<SourceEvent> events, string stage, Progress progress)
    {
        var (provider, bus) = await StartBusAsync();
        await using var _ = provider;
        try
        {
            using var gate = new SemaphoreSlim(128);
            var inFlight = new List<Task>(events.Count);
            for (var i = 0; i < events.Count; i++)
            {
                await gate.WaitAsync();
                inFlight.Add(PublishAsync(bus, AsPublished(events[i]), gate));
                progress.Report(stage, i + 1, events.Count);
            }

            await Task.WhenAll(inFlight);
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    /// <summary>Publishes one event as the ingress does.</summary>
    public static Task PublishAsync(IBus bus, WebhookReceived message) =>
        bus.Publish(message, ctx => ctx.MessageId = DeterministicId.ForWebhook(message.Source, message.EventId));

    private static async Task PublishAsync(IBus bus, WebhookReceived message, SemaphoreSlim gate)
    {
        try
        {
            await PublishAsync(bus, message);
        }
        finally
        {
            gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _storage.DisposeAsync();
        await Database.DisposeAsync();
        await VirtualHost.DisposeAsync();
    }
}
