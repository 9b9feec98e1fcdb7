using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Consumers;
using Sync.Contracts;
using Sync.Core;
using Sync.Emitter;
using Sync.IntegrationTests.Failures;
using Sync.Storage;

namespace Sync.IntegrationTests.Worker;

/// <summary>
/// Tag changes that reach the tag consumer after their contact's deletion was applied: one older than the deletion is
/// stale (dropped, neither waited for nor dead-lettered), whether its command still names the deleted contact's id or
/// only its email; one newer than the deletion waits for the contact to appear, as any change of an unknown contact.
/// </summary>
[TestFixture]
public sealed class When_a_tag_change_is_older_than_its_contacts_deletion
{
    private const string Location = "WorkerTagsAfterDelete1";
    private const string Email = "deleted-later@example.com";

    [Test]
    public async Task Should_drop_it_as_stale_and_let_a_newer_one_wait()
    {
        await using var harness = await WorkerHarness.StartAsync();
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        await harness.InstallPrivateAsync(Location);
        var index = harness.Services.GetRequiredService<IContactIndexStore>();
        var inbox = harness.Services.GetRequiredService<IInboxStore>();
        var t0 = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var contact = new SourceContact { Email = Email };

        await harness.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, "evt-del-upsert", t0, Location, contact, null));
        Assert.That(await WorkerHarness.EventuallyAsync(async () => await ContactIdAsync(index) is not null, TimeSpan.FromSeconds(30)), Is.True, "created");
        var contactId = (await ContactIdAsync(index))!;

        await harness.PublishAsync(new SourceEvent(SourceEventTypes.Deleted, "evt-del-delete", t0.AddMinutes(10), Location, contact, null));
        Assert.That(await WorkerHarness.EventuallyAsync(
            async () => await ContactIdAsync(index) is null && harness.Sandbox.State.Contacts.ForLocation(Location).Count == 0,
            TimeSpan.FromSeconds(30)), Is.True, "deleted");

        // Older than the deletion: an event (its command knows the contact by email only, the index has forgotten it) and
        // a command queued while the index still knew the contact's id. Newer than the deletion: an event.
        await harness.PublishAsync(new SourceEvent(SourceEventTypes.TagsAdded, "evt-del-older", t0.AddMinutes(5), Location, contact, ["older"]));
        var olderWithId = DeterministicId.Create(DeterministicId.WebhookNamespace, "del-older-with-id");
        await harness.Services.GetRequiredService<IBus>().Publish(
            new ChangeContactTags(Location, new ContactReference(contactId, Email, null, null), TagOperation.Add, ["older-with-id"],
                t0.AddMinutes(6), "evt-del-older-with-id"),
            ctx => ctx.MessageId = olderWithId);
        await harness.PublishAsync(new SourceEvent(SourceEventTypes.TagsAdded, "evt-del-newer", t0.AddMinutes(20), Location, contact, ["newer"]));

        var dropped = await WorkerHarness.EventuallyAsync(async () =>
            await IsProcessedAsync(inbox, TagCommandOf("evt-del-older")) && await IsProcessedAsync(inbox, olderWithId), TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3)); // the newer change has had its first attempt by now

        Assert.Multiple(async () =>
        {
            Assert.That(dropped, Is.True, "both changes older than the deletion were settled (as stale)");
            Assert.That(await harness.DeadLettersAsync(), Is.Zero, "nothing dead-lettered");
            Assert.That(await IsProcessedAsync(inbox, TagCommandOf("evt-del-newer")), Is.False, "the newer change still waits for its contact");
            Assert.That(harness.Sandbox.State.Contacts.ForLocation(Location), Is.Empty, "no contact came back");
        });
    }

    private static Task<string?> ContactIdAsync(IContactIndexStore index) =>
        index.FindContactIdAsync(Location, ContactKey.Email(Email), CancellationToken.None);

    private static Task<bool> IsProcessedAsync(IInboxStore inbox, Guid command) =>
        inbox.IsProcessedAsync(ChangeContactTagsConsumer.InboxName, command, CancellationToken.None);

    private static Guid TagCommandOf(string eventId) =>
        DeterministicId.Create(DeterministicId.WebhookNamespace, $"{DeterministicId.ForWebhook("crm", eventId):N}:tags:Add");
}
