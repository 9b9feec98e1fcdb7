using Sync.Contracts;
using Sync.Ingress.Tests.Support;
using Sync.Messaging.Outbox;
using Sync.Storage;

namespace Sync.Ingress.Tests.Messaging;

[TestFixture]
public sealed class When_the_outbox_relay_publishes_stored_rows
{
    private OutboxRelayRig _rig = null!;
    private WebhookQueue _queue = null!;
    private IOutboxStore _outbox = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _rig = await OutboxRelayRig.StartAsync();
        _queue = _rig.Queue;
        _outbox = _rig.Outbox;
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
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
