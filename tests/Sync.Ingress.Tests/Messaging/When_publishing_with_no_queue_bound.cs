using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Contracts;
using Sync.Messaging;
using Sync.Testing;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>Publishes are mandatory: a message no queue would receive is refused, not dropped in silence.</summary>
[TestFixture]
public sealed class When_publishing_with_no_queue_bound
{
    private RabbitMqTestVirtualHost _vhost = null!;
    private IHost _host = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _vhost = await RabbitMqTestVirtualHost.CreateAsync();
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

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_fail_the_publish()
    {
        var publisher = _host.Services.GetRequiredService<IConfirmedPublisher>();
        var message = new WebhookReceived("crm", "evt-unrouted", "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}");

        var failure = await PublishUntilAnsweredAsync(publisher, message);

        Assert.That(failure, Is.TypeOf<PublishFailedException>().With.Property(nameof(PublishFailedException.TimedOut)).False);
    }

    // The first attempts may time out while the bus connects; the answer that matters is the broker's.
    private static async Task<Exception?> PublishUntilAnsweredAsync(IConfirmedPublisher publisher, WebhookReceived message)
    {
        for (var attempt = 0; attempt < 30; attempt++)
        {
            try
            {
                await publisher.PublishAsync(message, Guid.NewGuid(), CancellationToken.None);
                return null;
            }
            catch (PublishFailedException ex) when (ex.TimedOut)
            {
            }
            catch (PublishFailedException ex)
            {
                return ex;
            }
        }

        return null;
    }
}
