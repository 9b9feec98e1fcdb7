using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using Sync.Contracts;
using Sync.Ingress.Tests.Support;
using Sync.Messaging;
using Sync.Testing;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>
/// The broker refuses one publish with a channel error (its destination exchange exists with another type, so
/// declaring it fails): that publish fails with <see cref="PublishFailedException"/>, and the publisher's next
/// publishes, to a good destination, are confirmed as before.
/// </summary>
[TestFixture]
public sealed class When_a_publish_meets_a_broker_error
{
    private const string TopicExchange = "sync-test-topic";
    private RabbitMqTestVirtualHost _vhost = null!;
    private IHost _host = null!;
    private WebhookQueue _queue = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _vhost = await RabbitMqTestVirtualHost.CreateAsync();
        _queue = await WebhookQueue.BindAsync(_vhost);
        var factory = new ConnectionFactory { Uri = _vhost.AmqpUri };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(TopicExchange, ExchangeType.Topic, durable: true, autoDelete: false);
        _host = await MessagingHost.StartAsync(_vhost, _vhost.Port);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }

        if (_queue is not null)
        {
            await _queue.DisposeAsync();
        }

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_fail_that_publish_and_confirm_the_next_ones()
    {
        var publisher = _host.Services.GetRequiredService<IConfirmedPublisher>();
        var message = new WebhookReceived("crm", "evt-error", "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}");
        var ids = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();

        var refused = Assert.ThrowsAsync<PublishFailedException>(() => publisher.PublishAsync(
            message, typeof(WebhookReceived), $"exchange:{TopicExchange}?type=fanout", Guid.NewGuid(), new Dictionary<string, string>(), CancellationToken.None));
        foreach (var id in ids)
        {
            await publisher.PublishAsync(message, id, CancellationToken.None);
        }

        var queued = await _queue.DrainAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused!.TimedOut, Is.False);
            Assert.That(queued.Select(m => m.MessageId), Is.EqualTo(ids.Select(id => id.ToString())));
        }
    }
}
