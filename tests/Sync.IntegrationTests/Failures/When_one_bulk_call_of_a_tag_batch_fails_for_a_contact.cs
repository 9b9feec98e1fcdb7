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
/// One batch makes two bulk calls that touch the same contact (one per tag) and the API refuses one of them: only the
/// commands that took part in the refused call are dead-lettered; the contact's command whose call succeeded is applied
/// and counted as applied.
/// </summary>
[TestFixture]
public sealed class When_one_bulk_call_of_a_tag_batch_fails_for_a_contact
{
    private const string Location = "FailuresOneCallFails1";

    [Test]
    public async Task Should_settle_each_command_by_its_own_call()
    {
        await using var harness = await WorkerHarness.StartAsync(new SandboxOptions { Faults = { BulkRejectTag = "rejected" } },
            new Dictionary<string, string?> { ["Sync:Worker:TagBatchTimeLimit"] = "00:00:03" });
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        var token = await harness.InstallPrivateAsync(Location);
        List<string> contacts = [];
        for (var i = 0; i < 3; i++)
        {
            contacts.Add(await harness.CreateContactAtApiAsync(token, Location, $"onecall{i}@example.com"));
        }

        // c0 +accepted, c1 +accepted, c1 +rejected, c2 +rejected: per tag the calls are "accepted" [c0, c1] and
        // "rejected" [c1, c2] (two calls, where one per tag set would take three), so c1 is in both.
        var at = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        (string Contact, string Tag, string Event)[] commands =
        [
            (contacts[0], "accepted", "evt-one-call-0"),
            (contacts[1], "accepted", "evt-one-call-1"),
            (contacts[1], "rejected", "evt-one-call-2"),
            (contacts[2], "rejected", "evt-one-call-3"),
        ];
        var bus = harness.Services.GetRequiredService<IBus>();
        foreach (var (contact, tag, eventId) in commands)
        {
            await bus.Publish(new ChangeContactTags(Location, new ContactReference(contact, null, null, null), TagOperation.Add, [tag], at, eventId),
                ctx => ctx.MessageId = IdOf(eventId));
        }

        var inbox = harness.Services.GetRequiredService<IInboxStore>();
        var applied = await WorkerHarness.EventuallyAsync(async () =>
            await inbox.IsProcessedAsync(ChangeContactTagsConsumer.InboxName, IdOf("evt-one-call-0"), CancellationToken.None)
            && await queues.WaitForAsync("change-contact-tags_error", 2, TimeSpan.Zero) >= 2, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2)); // anything else the batch settles has arrived by now
        var deadLettered = (await queues.TakeAllAsync("change-contact-tags_error"))
            .Select(m => commands.Single(c => m.Body.Contains(c.Event, StringComparison.Ordinal)).Event)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Multiple(async () =>
        {
            Assert.That(applied, Is.True, "the batch was settled");
            Assert.That(deadLettered, Is.EqualTo(new[] { "evt-one-call-2", "evt-one-call-3" }), "only the commands of the refused call are dead-lettered");
            Assert.That(await inbox.IsProcessedAsync(ChangeContactTagsConsumer.InboxName, IdOf("evt-one-call-1"), CancellationToken.None), Is.True,
                "the contact's command whose call succeeded is marked applied");
            Assert.That(harness.Sandbox.State.Contacts.Find(contacts[1])?.Tags, Is.EqualTo(new[] { "accepted" }));
            Assert.That(harness.Sandbox.State.Contacts.Find(contacts[0])?.Tags, Is.EqualTo(new[] { "accepted" }));
            Assert.That(harness.Sandbox.State.Contacts.Find(contacts[2])?.Tags, Is.Empty);
        });
    }

    private static Guid IdOf(string eventId) => DeterministicId.Create(DeterministicId.WebhookNamespace, eventId);
}
