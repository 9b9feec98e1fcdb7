using RabbitMQ.Client;
using Sync.Emitter;
using Sync.IntegrationTests.Worker;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// A dead letter is a confirmed, routed message or nothing moves: with its error queue gone, a failed message stays
/// in its work queue, is delivered again, and ends in the poison queue when its delivery limit is reached.
/// </summary>
[TestFixture]
public sealed class When_a_dead_letter_cannot_be_routed
{
    private const string Location = "FailuresUnroutable01";

    [Test]
    public async Task Should_keep_the_message_instead_of_dropping_it()
    {
        await using var harness = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Sync:Redelivery:DeliveryLimit"] = "3" });
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        await harness.InstallPrivateAsync(Location);

        // An operator (or a policy) removed the error queue after start-up: its exchange now routes nowhere.
        var factory = new ConnectionFactory { Uri = harness.VirtualHost.AmqpUri };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeleteAsync("webhook-received_error");
        }

        await harness.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, "evt-unroutable", DateTimeOffset.UtcNow, Location,
            new SourceContact { FirstName = "Nobody" }, null));

        var poisoned = await queues.WaitForAsync("sync-poison", 1, TimeSpan.FromSeconds(60));
        var messages = await queues.TakeAllAsync("sync-poison");

        Assert.Multiple(() =>
        {
            Assert.That(poisoned, Is.EqualTo(1));
            Assert.That(messages.Single().Body, Does.Contain("evt-unroutable"));
            Assert.That(messages.Single().Headers["x-first-death-reason"], Is.EqualTo("delivery_limit"));
        });
    }
}
