using Microsoft.Extensions.DependencyInjection;
using Sync.Contracts;
using Sync.Ingress.Tests.Support;
using Sync.Messaging.Outbox;
using Sync.Storage;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>A row the broker returns (no queue would receive it) stays in the outbox and goes out once a queue exists.</summary>
[TestFixture]
public sealed class When_the_outbox_relay_finds_no_queue_bound
{
    private OutboxRelayRig _rig = null!;
    private WebhookQueue? _queue;

    [OneTimeSetUp]
    public async Task Start() => _rig = await OutboxRelayRig.StartAsync(bindQueue: false);

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_queue is not null)
        {
            await _queue.DisposeAsync();
        }

        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_publish_the_row_once_a_queue_is_bound()
    {
        var id = Guid.NewGuid();
        var message = new WebhookReceived("crm", "evt-early", "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}");
        var outbox = _rig.Host.Services.GetRequiredService<IOutboxStore>();
        await outbox.EnqueueAsync(OutboxSerializer.ForPublish(message, id, DateTimeOffset.UtcNow), CancellationToken.None);
        await WaitUntilTriedAsync(outbox);

        _queue = await WebhookQueue.BindAsync(_rig.VirtualHost);
        await _queue.WaitForAsync(1, TimeSpan.FromSeconds(60));

        Assert.That((await _queue.DrainAsync()).Select(m => m.MessageId), Is.EqualTo(new[] { id.ToString() }));
    }

    // The row has been attempted (and given back) at least once when a claim sees attempts > 0.
    private static async Task WaitUntilTriedAsync(IOutboxStore outbox)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            // A look that changes nothing: the claim is given back untouched when disposed.
            await using (var claim = await outbox.ClaimAsync(1, TimeSpan.FromSeconds(5), CancellationToken.None))
            {
                if (claim.Messages.Count == 1 && claim.Messages[0].Attempts > 0)
                {
                    return;
                }
            }

            await Task.Delay(100);
        }

        Assert.Fail("The relay never tried the row.");
    }
}
