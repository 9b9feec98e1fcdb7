using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Contracts;
using Sync.Core;
using Sync.Ingress.Tests.Support;
using Sync.Messaging;
using Sync.Testing;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>The confirmed publisher against a real broker reached through a proxy the test can cut.</summary>
[TestFixture]
[NonParallelizable]
public sealed class When_publishing_with_a_confirm
{
    private RabbitMqTestVirtualHost _vhost = null!;
    private TcpProxy _proxy = null!;
    private IHost _host = null!;
    private WebhookQueue _queue = null!;
    private IConfirmedPublisher _publisher = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _vhost = await RabbitMqTestVirtualHost.CreateAsync();
        _proxy = TcpProxy.Start(_vhost.Host, _vhost.Port);
        _queue = await WebhookQueue.BindAsync(_vhost);
        _host = await MessagingHost.StartAsync(_vhost, _proxy.Port);
        _publisher = _host.Services.GetRequiredService<IConfirmedPublisher>();
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

        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }

    [SetUp]
    public async Task Empty_the_queue()
    {
        _proxy.Reconnect();
        await _queue.DrainAsync();
    }

    [Test]
    public async Task Should_have_the_message_in_the_queue_with_its_id_once_confirmed()
    {
        var message = Message("evt-confirmed");
        var id = DeterministicId.ForWebhook("crm", "evt-confirmed");

        await PublishWhenConnectedAsync(message, id);
        var queued = await _queue.DrainAsync();

        Assert.That(queued.Select(m => m.MessageId), Is.EqualTo(new[] { id.ToString() }));
    }

    [Test]
    public async Task Should_carry_the_message_content()
    {
        var message = Message("evt-content");

        await PublishWhenConnectedAsync(message, DeterministicId.ForWebhook("crm", "evt-content"));
        var body = JsonDocument.Parse((await _queue.DrainAsync()).Single().Body).RootElement.GetProperty("message");

        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("eventId").GetString(), Is.EqualTo("evt-content"));
            Assert.That(body.GetProperty("payload").GetString(), Is.EqualTo(message.Payload));
        });
    }

    [Test]
    public async Task Should_fail_instead_of_hanging_when_the_broker_is_unreachable()
    {
        await PublishWhenConnectedAsync(Message("evt-before-cut"), Guid.NewGuid());
        _proxy.Disconnect();

        var publish = _publisher.PublishAsync(Message("evt-cut"), Guid.NewGuid(), CancellationToken.None);

        // Far above the 2 s bound: only a publish that hangs can run into it.
        Assert.That(async () => await publish.WaitAsync(TimeSpan.FromSeconds(30)), Throws.TypeOf<PublishFailedException>());
    }

    [Test]
    public async Task Should_publish_again_once_the_broker_is_back()
    {
        _proxy.Disconnect();
        Assert.That(async () => await _publisher.PublishAsync(Message("evt-down"), Guid.NewGuid(), CancellationToken.None),
            Throws.TypeOf<PublishFailedException>());

        _proxy.Reconnect();
        await PublishWhenConnectedAsync(Message("evt-back"), DeterministicId.ForWebhook("crm", "evt-back"));

        Assert.That((await _queue.DrainAsync()).Select(m => m.MessageId),
            Does.Contain(DeterministicId.ForWebhook("crm", "evt-back").ToString()));
    }

    [Test]
    public async Task Should_confirm_the_publishes_that_follow_a_reconnection()
    {
        // A publisher that has been busy before the outage, as the ingress's is.
        await PublishWhenConnectedAsync(Message("evt-before-outage"), Guid.NewGuid());
        for (var round = 0; round < 20; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
                _publisher.PublishAsync(Message($"evt-busy-{round}-{i}"), Guid.NewGuid(), CancellationToken.None)));
        }

        _proxy.Disconnect();
        Assert.That(async () => await _publisher.PublishAsync(Message("evt-outage"), Guid.NewGuid(), CancellationToken.None),
            Throws.TypeOf<PublishFailedException>());
        _proxy.Reconnect();

        // Sixteen senders publish batches of fifty at once while the publisher reconnects, as the outbox relay's lanes do
        // when an outage ends; once one publish is confirmed, every publish begun after it must be confirmed too.
        var firstConfirmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var confirmedAfter = 0;
        var giveUp = DateTime.UtcNow.AddSeconds(60);
        async Task PublishOneAsync(string eventId)
        {
            var after = firstConfirmed.Task.IsCompleted;
            try
            {
                await _publisher.PublishAsync(Message(eventId), Guid.NewGuid(), CancellationToken.None);
                if (after)
                {
                    Interlocked.Increment(ref confirmedAfter);
                }
                else if (firstConfirmed.TrySetResult())
                {
                    giveUp = DateTime.UtcNow.AddSeconds(4); // longer than the 2 s confirm timeout
                }
            }
            catch (PublishFailedException ex) when (after)
            {
                failures.Enqueue(ex.Message);
            }
            catch (PublishFailedException)
            {
                await Task.Delay(20);
            }
        }

        var senders = Enumerable.Range(0, 16).Select(sender => Task.Run(async () =>
        {
            for (var round = 0; DateTime.UtcNow < giveUp; round++)
            {
                await Task.WhenAll(Enumerable.Range(0, 50).Select(i => PublishOneAsync($"evt-back-{sender}-{round}-{i}")));
            }
        })).ToList();
        await Task.WhenAll(senders);
        await _queue.DrainAsync();

        Assert.Multiple(() =>
        {
            Assert.That(firstConfirmed.Task.IsCompleted, Is.True, "no publish was confirmed within a minute of the broker coming back");
            Assert.That(failures, Is.Empty, $"{failures.Count} publishes failed after one had been confirmed: {failures.FirstOrDefault()}");
            Assert.That(confirmedAfter, Is.GreaterThan(100));
        });
    }

    private async Task PublishWhenConnectedAsync(WebhookReceived message, Guid id)
    {
        // The bus (re)connects in the background: keep trying for a while, as the outbox relay would.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await _publisher.PublishAsync(message, id, CancellationToken.None);
                return;
            }
            catch (PublishFailedException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static WebhookReceived Message(string eventId) =>
        new("crm", eventId, "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, """{"id":"x"}""");
}

/// <summary>A generic host with just <c>AddSyncMessaging</c>, pointed at a broker port.</summary>
internal static class MessagingHost
{
    public static async Task<IHost> StartAsync(RabbitMqTestVirtualHost vhost, int port, IDictionary<string, string?>? extra = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sync:RabbitMq:Host"] = vhost.Host,
            ["Sync:RabbitMq:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sync:RabbitMq:VirtualHost"] = vhost.Name,
            ["Sync:RabbitMq:Username"] = vhost.Username,
            ["Sync:RabbitMq:Password"] = vhost.Password,
        });
        if (extra is not null)
        {
            builder.Configuration.AddInMemoryCollection(extra);
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSyncMessaging(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
