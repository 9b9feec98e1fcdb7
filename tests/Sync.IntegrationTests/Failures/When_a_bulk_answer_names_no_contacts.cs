using Microsoft.Extensions.DependencyInjection;
using Sync.Core;
using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Components.Consumers;
using Sync.Sandbox;
using Sync.Storage;

namespace Sync.IntegrationTests.Failures;

/// <summary>A 2xx bulk tag answer without per-contact results is a success for every contact, not a failure of each.</summary>
[TestFixture]
public sealed class When_a_bulk_answer_names_no_contacts
{
    private const string Location = "FailuresBulkSummary1";

    [Test]
    public async Task Should_apply_the_tags_and_dead_letter_nothing()
    {
        await using var harness = await WorkerHarness.StartAsync(new SandboxOptions { Faults = { BulkOmitResponses = true } });
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        await harness.InstallPrivateAsync(Location);
        var at = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

        await harness.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, "evt-summary-1", at, Location, new SourceContact { Email = "summary@example.com" }, ["gold"]));

        // The tag command is settled once its inbox mark is committed: applied, and not on its way to the error queue.
        var inbox = harness.Services.GetRequiredService<IInboxStore>();
        var command = DeterministicId.Create(DeterministicId.WebhookNamespace,
            $"{DeterministicId.ForWebhook("crm", "evt-summary-1"):N}:tags:Add");
        var settled = await WorkerHarness.EventuallyAsync(
            () => inbox.IsProcessedAsync(ChangeContactTagsConsumer.InboxName, command, CancellationToken.None), TimeSpan.FromSeconds(30));

        Assert.Multiple(async () =>
        {
            Assert.That(settled, Is.True, "the tag command was applied");
            Assert.That(harness.ContactsOf(Location).Single().Tags, Is.EqualTo(new[] { "gold" }));
            Assert.That(await queues.CountAsync("change-contact-tags_error"), Is.Zero);
        });
    }
}
