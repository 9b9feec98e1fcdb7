using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Sync.Contracts;
using Sync.Messaging;
using Sync.Messaging.DeadLetters;
using Sync.Storage;
using Sync.Testing;

namespace Sync.IntegrationTests.DeadLetters;

/// <summary>
/// A broker virtual host and a database of their own, collector hosts started and stopped at will (each the
/// collector, the topology it needs and the storage, as a worker registers them), and a publisher of dead letters
/// shaped as the failure path and RabbitMQ leave them.
/// </summary>
internal sealed class DeadLetterCollectorHarness : IAsyncDisposable
{
    private DeadLetterCollectorHarness(RabbitMqTestVirtualHost vhost, PostgresTestDatabase database)
    {
        VirtualHost = vhost;
        Database = database;
        Storage = BuildStorage();
    }

    public RabbitMqTestVirtualHost VirtualHost { get; }

    public PostgresTestDatabase Database { get; }

    public ServiceProvider Storage { get; }

    public IDeadLetterStore DeadLetters => Storage.GetRequiredService<IDeadLetterStore>();

    public static async Task<DeadLetterCollectorHarness> CreateAsync()
    {
        var harness = new DeadLetterCollectorHarness(await RabbitMqTestVirtualHost.CreateAsync(), await PostgresTestDatabase.CreateAsync());
        await harness.Storage.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);
        return harness;
    }

    public Dictionary<string, string?> Settings => new()
    {
        ["Sync:Storage:Provider"] = "PostgreSql",
        ["Sync:Storage:ConnectionString"] = Database.ConnectionString,
        ["Sync:Storage:ActiveKeyId"] = "test",
        ["Sync:Storage:EncryptionKeys:test"] = Convert.ToBase64String(Encoding.ASCII.GetBytes("integration-test-key-of-32-bytes")),
        ["Sync:RabbitMq:Host"] = VirtualHost.Host,
        ["Sync:RabbitMq:Port"] = VirtualHost.Port.ToString(CultureInfo.InvariantCulture),
        ["Sync:RabbitMq:VirtualHost"] = VirtualHost.Name,
        ["Sync:RabbitMq:Username"] = VirtualHost.Username,
        ["Sync:RabbitMq:Password"] = VirtualHost.Password,
        ["Sync:DeadLetters:RetryDelay"] = "00:00:00.500",
    };

    /// <summary>Starts a collector host (topology declared first, as in the worker).</summary>
    public async Task<IHost> StartCollectorAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(Settings);
        builder.Logging.ClearProviders();
        if (ProgressLoggerProvider.Requested)
        {
            builder.Logging.AddProvider(new ProgressLoggerProvider(LogLevel.Debug));
        }

        builder.Services.AddSyncStorage(builder.Configuration);
        builder.Services.AddSyncDeadLetterOperations(builder.Configuration);
        builder.Services.AddSyncRedelivery(builder.Configuration);
        builder.Services.AddSyncDeadLetterCollector(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Declares the topology (error and poison queues) without a collector, so messages can wait in them.</summary>
    public async Task DeclareTopologyAsync()
    {
        await using var connection = await Factory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await Sync.Messaging.Redelivery.RedeliveryTopologyInitializer.DeclareAsync(channel, new Sync.Messaging.Redelivery.RedeliveryPolicyOptions(), CancellationToken.None);
    }

    /// <summary>Publishes a webhook that failed as the failure path moves it to <c>webhook-received_error</c>.</summary>
    public async Task PublishErrorAsync(IChannel channel, Guid messageId, string locationId, DateTimeOffset failedAt, IDictionary<string, object?>? syncHeaders = null)
    {
        var headers = new Dictionary<string, object?>
        {
            ["MT-Fault-ExceptionType"] = "Sync.HoopAi.HoopAiApiException",
            ["MT-Fault-Message"] = "HoopAI answered 422 Unprocessable Entity",
            ["MT-Fault-StackTrace"] = "   at Sync.Components.Consumers.WebhookReceivedConsumer.Consume()",
            ["MT-Fault-Timestamp"] = failedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["MT-Fault-InputAddress"] = $"rabbitmq://localhost/{VirtualHost.Name}/webhook-received",
            ["MT-Fault-MessageType"] = "Sync.Contracts.WebhookReceived",
            ["MT-Fault-ConsumerType"] = "Sync.Components.Consumers.WebhookReceivedConsumer",
            ["MT-Reason"] = "fault",
        };
        foreach (var (key, value) in syncHeaders ?? new Dictionary<string, object?>())
        {
            headers[key] = value;
        }

        await channel.BasicPublishAsync("webhook-received_error", "", mandatory: true,
            new BasicProperties { MessageId = messageId.ToString(), Persistent = true, ContentType = "application/vnd.masstransit+json", Headers = headers },
            Envelope(messageId, locationId));
    }

    /// <summary>Publishes what RabbitMQ dead-letters to the poison queue at a quorum queue's delivery limit: no Sync or fault headers.</summary>
    public static async Task PublishPoisonAsync(IChannel channel, Guid messageId, string locationId, DateTimeOffset diedAt)
    {
        var death = new Dictionary<string, object?>
        {
            ["count"] = 1L,
            ["reason"] = Encoding.UTF8.GetBytes("delivery_limit"),
            ["queue"] = Encoding.UTF8.GetBytes("webhook-received"),
            ["time"] = new AmqpTimestamp(diedAt.ToUnixTimeSeconds()),
            ["exchange"] = Encoding.UTF8.GetBytes("Sync.Contracts:WebhookReceived"),
            ["routing-keys"] = new List<object?> { Encoding.UTF8.GetBytes("") },
        };
        var headers = new Dictionary<string, object?>
        {
            ["x-death"] = new List<object?> { death },
            ["x-first-death-queue"] = Encoding.UTF8.GetBytes("webhook-received"),
            ["x-first-death-reason"] = Encoding.UTF8.GetBytes("delivery_limit"),
            ["x-first-death-exchange"] = Encoding.UTF8.GetBytes("Sync.Contracts:WebhookReceived"),
            ["x-delivery-count"] = 20L,
        };
        await channel.BasicPublishAsync("sync-poison", "", mandatory: true,
            new BasicProperties { MessageId = messageId.ToString(), Persistent = true, Headers = headers },
            Envelope(messageId, locationId));
    }

    public static byte[] Envelope(Guid messageId, string locationId) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        messageId = messageId.ToString(),
        messageType = new[] { "urn:message:Sync.Contracts:WebhookReceived" },
        message = new WebhookReceived("crm", $"evt-{messageId:N}", "contact.updated", locationId, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            """{"contact":{"email":"ada@example.com"}}"""),
        headers = new Dictionary<string, object>(),
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public ConnectionFactory Factory() => new()
    {
        HostName = VirtualHost.Host,
        Port = VirtualHost.Port,
        VirtualHost = VirtualHost.Name,
        UserName = VirtualHost.Username,
        Password = VirtualHost.Password,
        ClientProvidedName = "dead-letter-test-publisher",
    };

    /// <summary>Opens a channel with publisher confirms (each publish waits for the broker).</summary>
    public async Task<(IConnection Connection, IChannel Channel)> OpenPublisherAsync()
    {
        var connection = await Factory().CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return (connection, channel);
    }

    public async Task<long> RowCountAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM sync.dead_letters", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Messages ready in a queue, straight from the broker (a passive declaration; the management API's figures lag).</summary>
    public async Task<uint> ReadyAsync(string queue)
    {
        await using var connection = await Factory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    private ServiceProvider BuildStorage()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        return new ServiceCollection().AddSyncStorage(configuration).BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await Storage.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
