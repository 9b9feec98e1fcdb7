using System.Text;
using RabbitMQ.Client;
using Sync.Testing;

namespace Sync.IntegrationTests.Failures;

/// <summary>A message taken off a queue: its headers (as text) and body.</summary>
internal sealed record QueuedMessage(IReadOnlyDictionary<string, string> Headers, string Body, IReadOnlyBasicProperties Properties, byte[] RawBody);

/// <summary>Exact queue contents over AMQP (the management API's counts lag by seconds).</summary>
internal sealed class BrokerQueues : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private BrokerQueues(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public static async Task<BrokerQueues> OpenAsync(RabbitMqTestVirtualHost vhost)
    {
        var factory = new ConnectionFactory { Uri = vhost.AmqpUri, ClientProvidedName = "sync-test-queues" };
        var connection = await factory.CreateConnectionAsync();
        return new BrokerQueues(connection, await connection.CreateChannelAsync());
    }

    /// <summary>Ready messages in the queue; throws when the queue does not exist.</summary>
    public async Task<uint> CountAsync(string queue) => (await _channel.QueueDeclarePassiveAsync(queue)).MessageCount;

    /// <summary>True when the queue exists (a failed passive declaration closes the channel, so a fresh one is used).</summary>
    public async Task<bool> ExistsAsync(string queue)
    {
        await using var channel = await _connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return false;
        }
    }

    /// <summary>Takes every ready message off the queue (acknowledged).</summary>
    public async Task<IReadOnlyList<QueuedMessage>> TakeAllAsync(string queue)
    {
        var messages = new List<QueuedMessage>();
        while (await _channel.BasicGetAsync(queue, autoAck: true) is { } result)
        {
            var headers = (result.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .ToDictionary(h => h.Key, h => h.Value switch
                {
                    byte[] bytes => Encoding.UTF8.GetString(bytes),
                    null => "",
                    var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                }, StringComparer.OrdinalIgnoreCase);
            var body = result.Body.ToArray();
            messages.Add(new QueuedMessage(headers, Encoding.UTF8.GetString(body), result.BasicProperties, body));
        }

        return messages;
    }

    /// <summary>Publishes a message as it was taken, to the default exchange for <paramref name="queue"/>: a shovel.</summary>
    public async Task MoveBackAsync(QueuedMessage message, string queue)
    {
        var properties = new BasicProperties(message.Properties);
        await _channel.BasicPublishAsync("", queue, mandatory: true, properties, message.RawBody);
    }

    /// <summary>
    /// Waits until <paramref name="queue"/> holds at least <paramref name="count"/> ready messages (a queue not declared
    /// yet holds none); returns how many it holds.
    /// </summary>
    public async Task<uint> WaitForAsync(string queue, uint count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var now = await ExistsAsync(queue) ? await CountAsync(queue) : 0;
            if (now >= count || DateTime.UtcNow > deadline)
            {
                return now;
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
