using Npgsql;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Sync.Contracts;
using Sync.Core;
using Sync.Emitter;
using Sync.Messaging.Lanes;
using Sync.Messaging.Redelivery;
using Sync.Sandbox;
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

    /// <summary>The backlog lane of webhook events (what a location sends beyond its budget).</summary>
    public const string BacklogQueue = WebhookLanes.BacklogQueue;

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
    public static IReadOnlyList<string> DeadLetterQueues { get; } = [WebhookQueue + "_error", BacklogQueue + "_error", TagQueue + "_error", "sync-poison"];

    /// <summary>The wait queues of the default delay tiers.</summary>
    public static IReadOnlyList<string> WaitQueues { get; } = [.. DelayTiers.Default.Select(DelayTiers.NameOf)];

    /// <summary>Where a message not yet done waits: the work queues and the wait tiers.</summary>
    public static IReadOnlyList<string> PendingQueues { get; } = [WebhookQueue, BacklogQueue, TagQueue, .. WaitQueues];

    /// <summary>The lanes as an ingress process chooses them (defaults: 100 at once and 10 a second per location).</summary>
    private static readonly WebhookLanes Lanes = new(Options.Create(new LaneOptions()), TimeProvider.System);

    public static string LocationId(int i) => $"BenchLocation{i:D7}";

    /// <summary>
    /// The connection string the hosts get. On loopback without TLS, like the broker and the API in this rig (and like
    /// the baselines): with Npgsql's default (TLS when the server offers it, as Debian's PostgreSQL does) TLS cost the
    /// worker about a fifth of its CPU per upsert. A database over a network keeps its TLS: this is a setting of the
    /// connection string, not of Sync.
    /// </summary>
    public static string HostConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Host is "127.0.0.1" or "localhost" or "::1")
        {
            builder.SslMode = SslMode.Disable;
        }

        return builder.ConnectionString;
    }

    public static async Task<BenchRig> CreateAsync()
    {
        var vhost = await RabbitMqTestVirtualHost.CreateAsync("sync-bench");
        var database = await PostgresTestDatabase.CreateAsync("sync_bench");
        var storage = new ServiceCollection().AddLogging().AddSyncStorage(o =>
        {
            o.Provider = DatabaseProvider.PostgreSql;
            o.ConnectionString = HostConnectionString(database.ConnectionString);
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

    /// <summary>Empties the queues and returns how many messages they held.</summary>
    public async Task<long> PurgeAsync(IEnumerable<string> queues)
    {
        var factory = new ConnectionFactory { Uri = VirtualHost.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var total = 0L;
        foreach (var queue in queues)
        {
            total += await channel.QueuePurgeAsync(queue);
        }

        return total;
    }

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

    /// <summary>
    /// <see cref="AccountAsync(IReadOnlyCollection{string}, IReadOnlyCollection{string})"/> for upserts of distinct
    /// contacts over the first <paramref name="locations"/> locations: each contact in the sandbox is traced back to its
    /// event by its email.
    /// </summary>
    public Task<Ledger> AccountAsync(IReadOnlyList<SourceEvent> sent, SandboxServer sandbox, int locations)
    {
        var ids = sent.ToDictionary(e => e.Contact.Email!, e => e.Id, StringComparer.Ordinal);
        var applied = Enumerable.Range(0, locations).SelectMany(l => sandbox.State.Contacts.ForLocation(LocationId(l)))
            .Select(c => ids.GetValueOrDefault(c.Email ?? "", "(unexpected contact)")).ToList();
        return AccountAsync([.. ids.Values], applied);
    }

    /// <summary>
    /// The ledger of a run whose backlog need not drain, by event id: with the workers stopped, every message left in the
    /// dead-letter queues, the work queues and the wait tiers is taken off and its event id read; every event sent must
    /// be applied (<paramref name="appliedIds"/>), dead-lettered or still queued, and nothing else may turn up. An event
    /// both applied and still queued (its worker stopped after the API call, before the acknowledgement: the inbox drops
    /// the copy when it comes round) is counted once, as applied, and reported.
    /// </summary>
    public async Task<Ledger> AccountAsync(IReadOnlyCollection<string> sentIds, IReadOnlyCollection<string> appliedIds)
    {
        var sent = new HashSet<string>(sentIds, StringComparer.Ordinal);
        var applied = new HashSet<string>(appliedIds.Where(sent.Contains), StringComparer.Ordinal);
        var dead = new HashSet<string>(StringComparer.Ordinal);
        var queued = new List<string>();

        // A message a stopped worker held goes back to its queue as the broker notices the closed connection, and one
        // leaving a wait tier is in transit for a moment (measured: up to about 7 s after a worker with a few hundred
        // messages in flight stopped): what is missing is looked for again, for up to 20 s.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        do
        {
            dead.UnionWith(await TakeEventIdsAsync(DeadLetterQueues));
            queued.AddRange(await TakeEventIdsAsync(PendingQueues));
            var found = new HashSet<string>(queued, StringComparer.Ordinal);
            if (sent.All(id => applied.Contains(id) || dead.Contains(id) || found.Contains(id)))
            {
                break;
            }

            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);

        var queuedDistinct = new HashSet<string>(queued, StringComparer.Ordinal);
        var unknown = appliedIds.Count(id => !sent.Contains(id)) + dead.Count(id => !sent.Contains(id)) + queuedDistinct.Count(id => !sent.Contains(id));
        var stillQueued = queuedDistinct.Count(id => sent.Contains(id) && !applied.Contains(id) && !dead.Contains(id));
        var copies = queued.Count - stillQueued - queuedDistinct.Count(id => !sent.Contains(id));
        var deadLettered = dead.Count(id => sent.Contains(id) && !applied.Contains(id));
        var accounted = applied.Count + deadLettered + stillQueued;
        return new Ledger(sent.Count, applied.Count, deadLettered, stillQueued, copies, unknown, accounted == sent.Count && unknown == 0);
    }

    /// <summary>Takes every message off the queues (they are gone) and returns the source event id each carries.</summary>
    private async Task<List<string>> TakeEventIdsAsync(IEnumerable<string> queues)
    {
        var factory = new ConnectionFactory { Uri = VirtualHost.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var ids = new List<string>();
        foreach (var queue in queues)
        {
            // Thousands at a time through a consumer (one basic.get per message costs a round trip each), then the rest.
            // Acknowledged one by one and on a channel of its own: whatever the broker sent that was not yet taken (the
            // queues still move: the wait tiers expire into the work queues) goes back to its queue when that channel
            // closes, for the basic.get below; a message taken twice that way is counted as a copy, never lost.
            var ready = (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
            if (ready > 100)
            {
                ids.AddRange(await ConsumeEventIdsAsync(connection, queue, ready));
            }

            while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                ids.Add(EventIdOf(message.Body));
            }
        }

        return ids;
    }

    private static async Task<List<string>> ConsumeEventIdsAsync(IConnection connection, string queue, uint ready)
    {
        var taken = new List<string>();
        var lastTaken = Stopwatch.StartNew();
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, 1_000, false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            // Counted before it is acknowledged: one whose acknowledgement does not reach the broker before the channel
            // closes comes back for the basic.get and is counted again, as a copy.
            lock (taken)
            {
                taken.Add(EventIdOf(delivery.Body));
                lastTaken.Restart();
            }

            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
            lock (taken)
            {
                // All that was there, or nothing more for a while (some of it moved on to another queue meanwhile).
                if (taken.Count >= ready || lastTaken.Elapsed > TimeSpan.FromMilliseconds(500))
                {
                    break;
                }
            }
        }

        await channel.CloseAsync();
        lock (taken)
        {
            return [.. taken];
        }
    }

    // A MassTransit envelope: {"messageId", ..., "message": {"eventId", ...}}; the wait tiers keep the body as it was.
    private static string EventIdOf(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("message").GetProperty("eventId").GetString() ?? "(no event id)";
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "(unreadable message)";
        }
    }

    /// <summary>The settings a Sync host process needs for this rig's database and broker (the broker maybe through a proxy).</summary>
    public void ApplyHostSettings(IDictionary<string, string?> env, string? brokerHost = null, int? brokerPort = null)
    {
        env["DOTNET_ENVIRONMENT"] = "Production";
        env["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        env["Logging__LogLevel__Default"] = "Warning";
        env["Sync__Storage__Provider"] = "PostgreSql";
        env["Sync__Storage__ConnectionString"] = HostConnectionString(Database.ConnectionString);
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

    /// <summary>Publishes one event as the ingress does: to the work queue, or to the backlog lane when its location is over budget.</summary>
    public static async Task PublishAsync(IBus bus, WebhookReceived message)
    {
        var messageId = DeterministicId.ForWebhook(message.Source, message.EventId);
        if (Lanes.Choose(message) == WebhookLane.Work)
        {
            await bus.Publish(message, ctx => ctx.MessageId = messageId);
            return;
        }

        var lane = await bus.GetSendEndpoint(new Uri(WebhookLanes.BacklogDestination));
        await lane.Send(message, ctx => ctx.MessageId = messageId);
    }

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

/// <summary>Where every event of a run ended up, by event id.</summary>
internal sealed record Ledger(long Sent, long Applied, long DeadLettered, long StillQueued, long QueuedCopiesOfApplied, long Unknown, bool Balanced)
{
    public override string ToString() =>
        $"sent {Sent:N0} = applied {Applied:N0} + dead-lettered {DeadLettered:N0} + still queued {StillQueued:N0} " +
        $"(work queues and wait tiers; besides, {QueuedCopiesOfApplied:N0} queued copies of events counted already, {Unknown:N0} unknown)";
}
