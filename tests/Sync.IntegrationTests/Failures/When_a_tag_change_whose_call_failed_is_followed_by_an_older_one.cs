using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Consumers;
using Sync.Contracts;
using Sync.Core;
using Sync.IntegrationTests.Worker;
using Sync.Sandbox;
using Sync.Storage;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// The tag guard records only what reached the API. A tag is added (t1, applied); a later add of it (t3) fails at the
/// API and is dead-lettered; then a removal from between the two (t2) arrives. The failed add never happened, so the
/// removal is the newest change the API has seen and must be applied: before, the failed add's record stayed behind
/// and the removal was skipped as stale, leaving the contact with a tag an applied event had removed.
/// </summary>
[TestFixture]
public sealed class When_a_tag_change_whose_call_failed_is_followed_by_an_older_one
{
    private const string Location = "FailuresFailedCallGuard1";
    private const string BatchLocation = "FailuresFailedCallGuard2";
    private const string Tag = "vip";

    [Test]
    public async Task Should_apply_the_older_change_as_if_the_failed_one_had_not_been_made()
    {
        await using var harness = await WorkerHarness.StartAsync(new SandboxOptions(),
            new Dictionary<string, string?> { ["Sync:Worker:TagBatchTimeLimit"] = "00:00:01" });
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        var token = await harness.InstallPrivateAsync(Location);
        var contact = await harness.CreateContactAtApiAsync(token, Location, "failedguard@example.com");
        var inbox = harness.Services.GetRequiredService<IInboxStore>();
        var bus = harness.Services.GetRequiredService<IBus>();
        var t1 = new DateTimeOffset(2026, 6, 1, 0, 0, 1, TimeSpan.Zero);

        // t1: add, applied.
        await SendAsync(bus, contact, TagOperation.Add, t1, "evt-failed-guard-add-1");
        Assert.That(await WorkerHarness.EventuallyAsync(() => IsProcessedAsync(inbox, "evt-failed-guard-add-1"), TimeSpan.FromSeconds(30)),
            Is.True, "the first add was applied");

        // t3: add, refused by the API for this contact ("Tag vip is invalid": permanent), dead-lettered.
        harness.Sandbox.State.Faults.Set(new SandboxFaultOptions { BulkRejectTag = Tag });
        await SendAsync(bus, contact, TagOperation.Add, t1.AddSeconds(2), "evt-failed-guard-add-3");
        Assert.That(await queues.WaitForAsync("change-contact-tags_error", 1, TimeSpan.FromSeconds(30)), Is.EqualTo(1),
            "the refused add was dead-lettered");
        harness.Sandbox.State.Faults.Set(new SandboxFaultOptions());

        // t2: remove, between the two adds.
        await SendAsync(bus, contact, TagOperation.Remove, t1.AddSeconds(1), "evt-failed-guard-remove-2");
        Assert.That(await WorkerHarness.EventuallyAsync(() => IsProcessedAsync(inbox, "evt-failed-guard-remove-2"), TimeSpan.FromSeconds(30)),
            Is.True, "the removal was settled");
        var dead = await queues.TakeAllAsync("change-contact-tags_error");

        Assert.Multiple(async () =>
        {
            Assert.That(harness.Sandbox.State.Contacts.Find(contact)?.Tags, Is.Empty,
                "the removal, the newest change that reached the API, is what the contact shows");
            Assert.That(dead.Select(m => IsMessageOf(m, "evt-failed-guard-add-3")).ToList(), Is.EqualTo(new[] { true }),
                "the refused add, and only it, is in the dead-letter queue");
            Assert.That(await IsProcessedAsync(inbox, "evt-failed-guard-add-3"), Is.False, "the refused add is not marked processed");
        });
    }

    [Test]
    public async Task Should_not_count_a_command_replaced_in_its_batch_by_a_failed_one_as_applied()
    {
        await using var harness = await WorkerHarness.StartAsync(new SandboxOptions { Faults = { BulkRejectTag = Tag } },
            new Dictionary<string, string?> { ["Sync:Worker:TagBatchTimeLimit"] = "00:00:03" });
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        var token = await harness.InstallPrivateAsync(BatchLocation);
        var contact = await harness.CreateContactAtApiAsync(token, BatchLocation, "failedguard@example.com");
        var bus = harness.Services.GetRequiredService<IBus>();
        var t1 = new DateTimeOffset(2026, 6, 1, 0, 0, 1, TimeSpan.Zero);

        // One batch: an add, then a later removal of the same tag, whose call the API refuses. The add was replaced by
        // the removal, which did not happen: neither reached the API, so neither may be counted as applied.
        await SendAsync(bus, contact, TagOperation.Add, t1, "evt-replaced-add-1", BatchLocation);
        await SendAsync(bus, contact, TagOperation.Remove, t1.AddSeconds(1), "evt-replaced-remove-2", BatchLocation);
        Assert.That(await queues.WaitForAsync("change-contact-tags_error", 2, TimeSpan.FromSeconds(30)), Is.EqualTo(2),
            "both commands were dead-lettered");
        var dead = await queues.TakeAllAsync("change-contact-tags_error");
        var inbox = harness.Services.GetRequiredService<IInboxStore>();

        Assert.Multiple(async () =>
        {
            Assert.That(dead.Count(m => IsMessageOf(m, "evt-replaced-add-1")), Is.EqualTo(1), "the replaced add");
            Assert.That(dead.Count(m => IsMessageOf(m, "evt-replaced-remove-2")), Is.EqualTo(1), "the refused removal");
            Assert.That(await IsProcessedAsync(inbox, "evt-replaced-add-1"), Is.False, "the replaced add is not marked processed");
            Assert.That(harness.Sandbox.State.Contacts.Find(contact)?.Tags, Is.Empty, "nothing reached the contact");
        });
    }

    private static Task SendAsync(IBus bus, string contact, TagOperation operation, DateTimeOffset at, string eventId, string location = Location) =>
        bus.Publish(new ChangeContactTags(location, new ContactReference(contact, null, null, null), operation, [Tag], at, eventId),
            ctx => ctx.MessageId = IdOf(eventId));

    private static Task<bool> IsProcessedAsync(IInboxStore inbox, string eventId) =>
        inbox.IsProcessedAsync(ChangeContactTagsConsumer.InboxName, IdOf(eventId), CancellationToken.None);

    private static bool IsMessageOf(QueuedMessage message, string eventId) =>
        Guid.TryParse(message.Properties.MessageId, out var id) && id == IdOf(eventId);

    private static Guid IdOf(string eventId) => DeterministicId.Create(DeterministicId.WebhookNamespace, eventId);
}
