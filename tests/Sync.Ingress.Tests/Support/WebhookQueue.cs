using System.Text;
using RabbitMQ.Client;
using Sync.Testing;

namespace Sync.Ingress.Tests.Support;

/// <summary>
/// A test queue bound to the exchange MassTransit publishes <c>WebhookReceived</c> to and to the backlog lane's
/// exchange (or to one of them), read over a direct connection (never through a proxy the test may cut): what is in it
/// is what the ingress handed to the broker.
/// </summary>
public sealed class WebhookQueue : IAsyncDisposable
{
    public const string Exchange = "Sync.Contracts:WebhookReceived";

    /// <summary>The backlog lane's exchange: what a location sends beyond its budget.</summary>
    public const string BacklogExchange = "webhook-received-backlog";

    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private WebhookQueue(IConnection connection, IChannel channel, string name)
    {
        _connection = connection;
        _channel = channel;
        Name = name;
    }

    public string Name { get; }

    public static async Task<WebhookQueue> BindAsync(RabbitMqTestVirtualHost vhost, string name = "webhooks-probe", params string[] exchanges)
    {
        if (exchanges.Length == 0)
        {
            exchanges = [Exchange, BacklogExchange];
        }

        var factory = new ConnectionFactory { Uri = vhost.AmqpUri, ClientProvidedName = "ingress-tests" };
        var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        foreach (var exchange in exchanges)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            await channel.QueueBindAsync(name, exchange, "");
        }
        return new WebhookQueue(connection, channel, name);
    }

    /// <summary>Messages ready in the queue now.</summary>
    public async Task<uint> CountAsync() => (await _channel.QueueDeclarePassiveAsync(Name)).MessageCount;

    /// <summary>Takes every message now in the queue: message id and body.</summary>
    public async Task<IReadOnlyList<(string? MessageId, string Body)>> DrainAsync()
    {
        var messages = new List<(string?, string)>();
        while (await _channel.BasicGetAsync(Name, autoAck: true) is { } result)
        {
            messages.Add((result.BasicProperties.MessageId, Encoding.UTF8.GetString(result.Body.Span)));
        }

        return messages;
    }

    /// <summary>Waits until at least <paramref name="count"/> messages are ready, or the time is up; returns the count seen.</summary>
    public async Task<uint> WaitForAsync(uint count, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        uint seen;
        while ((seen = await CountAsync()) < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return seen;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
