using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Contracts;
using Sync.Ingress.Tests.Support;
using Sync.Messaging.Outbox;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Ingress.Tests.Messaging;

[TestFixture]
public sealed class When_the_outbox_relay_publishes_stored_rows
{
    private RabbitMqTestVirtualHost _vhost = null!;
    private PostgresTestDatabase _database = null!;
    private WebhookQueue _queue = null!;
    private IHost _host = null!;
    private IOutboxStore _outbox = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _vhost = await RabbitMqTestVirtualHost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        _queue = await WebhookQueue.BindAsync(_vhost);
        _host = await OutboxHost.StartAsync(_vhost, _database, relay: true);
        _outbox = _host.Services.GetRequiredService<IOutboxStore>();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await OutboxHost.StopAsync(_host);
        if (_queue is not null)
        {
            await _queue.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_publish_a_row_with_its_stored_message_id_and_content()
    {
        var id = Guid.NewGuid();
        var message = new WebhookReceived("crm", "evt-stored", "contact.deleted", "loc-1",
            DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow, """{"id":"evt-stored"}""");
        await _outbox.EnqueueAsync(OutboxSerializer.ForPublish(message, id, DateTimeOffset.UtcNow), CancellationToken.None);

        await _queue.WaitForAsync(1, TimeSpan.FromSeconds(60));
        var queued = (await _queue.DrainAsync()).Single();

        Assert.Multiple(() =>
        {
            Assert.That(queued.MessageId, Is.EqualTo(id.ToString()));
            Assert.That(queued.Body, Does.Contain("evt-stored").And.Contain("contact.deleted"));
        });
    }

    [Test]
    public async Task Should_leave_nothing_to_claim_once_published()
    {
        var message = new WebhookReceived("crm", "evt-done", "contact.deleted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}");
        await _outbox.EnqueueAsync(OutboxSerializer.ForPublish(message, Guid.NewGuid(), DateTimeOffset.UtcNow), CancellationToken.None);
        await _queue.WaitForAsync(1, TimeSpan.FromSeconds(60));
        await _queue.DrainAsync();

        await using var left = await _outbox.ClaimAsync(10, TimeSpan.FromSeconds(1), CancellationToken.None);

        Assert.That(left.Messages, Is.Empty);
    }
}
