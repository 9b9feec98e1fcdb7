using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Consumers;
using Sync.Contracts;
using Sync.Core;
using Sync.Emitter;
using Sync.Storage;

namespace Sync.IntegrationTests.Worker;

/// <summary>
/// A tag batch calls the API for a contact that a deletion in flight has just removed from the CRM, before that
/// deletion is recorded: the bulk answer says "Contact not found". The command is tried again, finds the deletion
/// (newer than the change) recorded by then, and is skipped as stale instead of being dead-lettered for an operator to
/// discard.
/// </summary>
[TestFixture]
public sealed class When_a_tag_change_meets_a_contact_deleted_a_moment_ago
{
    private const string Location = "WorkerTagsDeletedInFlight1";
    private const string Email = "deleted-in-flight@example.com";

    [Test]
    public async Task Should_skip_it_as_stale_once_the_deletion_is_recorded()
    {
        await using var harness = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Sync:Worker:TagBatchTimeLimit"] = "00:00:00.200" });
        var token = await harness.InstallPrivateAsync(Location);
        var index = harness.Services.GetRequiredService<IContactIndexStore>();
        var inbox = harness.Services.GetRequiredService<IInboxStore>();
        var t0 = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var contact = new SourceContact { Email = Email };

        await harness.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, "evt-inflight-upsert", t0, Location, contact, null));
        Assert.That(await WorkerHarness.EventuallyAsync(async () => await ContactIdAsync(index) is not null, TimeSpan.FromSeconds(30)), Is.True, "created");
        var contactId = (await ContactIdAsync(index))!;

        // The CRM loses the contact (the deletion's API call), Sync has not recorded the deletion yet.
        using (var http = harness.ApiClient(token))
        {
            using var deleted = await http.DeleteAsync($"contacts/{contactId}");
            deleted.EnsureSuccessStatusCode();
        }

        var bulkCallsBefore = BulkCalls(harness);
        var command = DeterministicId.Create(DeterministicId.WebhookNamespace, "inflight-tag");
        await harness.Services.GetRequiredService<IBus>().Publish(
            new ChangeContactTags(Location, new ContactReference(contactId, Email, null, null), TagOperation.Add, ["late"], t0.AddMinutes(5), "evt-inflight-tag"),
            ctx => ctx.MessageId = command);
        Assert.That(await WorkerHarness.EventuallyAsync(() => Task.FromResult(BulkCalls(harness) > bulkCallsBefore), TimeSpan.FromSeconds(30)), Is.True,
            "the tag batch called the API for the deleted contact");

        // Now the deletion is recorded (a contact.deleted newer than the tag change).
        await harness.PublishAsync(new SourceEvent(SourceEventTypes.Deleted, "evt-inflight-delete", t0.AddMinutes(10), Location, contact, null));

        var settled = await WorkerHarness.EventuallyAsync(
            () => inbox.IsProcessedAsync(ChangeContactTagsConsumer.InboxName, command, CancellationToken.None), TimeSpan.FromSeconds(30));
        Assert.Multiple(async () =>
        {
            Assert.That(settled, Is.True, "the tag change was settled (as stale) once the deletion was recorded");
            Assert.That(await harness.DeadLettersAsync(), Is.Zero, "nothing dead-lettered");
            Assert.That(harness.Sandbox.State.Contacts.ForLocation(Location), Is.Empty, "no contact came back");
        });
    }

    private static long BulkCalls(WorkerHarness harness) =>
        harness.Sandbox.State.Requests.Snapshot().Where(c => c.Route.Contains("bulk", StringComparison.Ordinal)).Sum(c => c.Count);

    private static Task<string?> ContactIdAsync(IContactIndexStore index) =>
        index.FindContactIdAsync(Location, ContactKey.Email(Email), CancellationToken.None);
}
