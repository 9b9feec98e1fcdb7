using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What every provider's outbox does.</summary>
public abstract class Outbox_contract : StorageFixture
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private IOutboxStore Outbox => Get<IOutboxStore>();

    [SetUp]
    public Task Empty_the_outbox() => ExecuteRawAsync("DELETE FROM sync.outbox");

    [Test]
    public async Task Should_claim_a_due_message_with_its_type_destination_body_and_headers()
    {
        var message = Message(headers: new Dictionary<string, string> { ["MT-Host"] = "ingress", ["x-location"] = "loc-1" });
        await Outbox.EnqueueAsync(message, None);

        var claimed = await Outbox.ClaimAsync("relay-a", 10, Lease, None);

        Assert.That(claimed, Has.Count.EqualTo(1));
        var row = claimed[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(row.MessageId, Is.EqualTo(message.MessageId));
            Assert.That(row.MessageType, Is.EqualTo(message.MessageType));
            Assert.That(row.Destination, Is.EqualTo(message.Destination));
            Assert.That(row.Body, Is.EqualTo(message.Body));
            Assert.That(row.Headers, Is.EquivalentTo(message.Headers));
            Assert.That(row.Attempts, Is.Zero);
        }
    }

    [Test]
    public async Task Should_not_claim_a_message_before_it_is_available()
    {
        await Outbox.EnqueueAsync(Message(availableAt: Clock.GetUtcNow().AddSeconds(30)), None);

        var early = await Outbox.ClaimAsync("relay-a", 10, Lease, None);
        Clock.Advance(TimeSpan.FromSeconds(30));
        var due = await Outbox.ClaimAsync("relay-a", 10, Lease, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(early, Is.Empty);
            Assert.That(due, Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_report_the_backlog_with_the_oldest_due_row_and_without_sent_rows()
    {
        var start = Clock.GetUtcNow();
        await Outbox.EnqueueAsync(Message(availableAt: start.AddSeconds(-90)), None);
        await Outbox.EnqueueAsync(Message(availableAt: start.AddSeconds(-30)), None);
        await Outbox.EnqueueAsync(Message(availableAt: start.AddSeconds(60)), None);
        await Outbox.EnqueueAsync(Message(availableAt: start.AddSeconds(-300)), None);
        var sent = await Outbox.ClaimAsync("relay-a", 1, Lease, None);
        await Outbox.MarkSentAsync("relay-a", [sent[0].Id], None);

        var backlog = await Outbox.GetBacklogAsync(None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(backlog.Pending, Is.EqualTo(3), "unsent rows, due or not");
            Assert.That(backlog.Due, Is.EqualTo(2));
            Assert.That(backlog.OldestDueAt, Is.EqualTo(start.AddSeconds(-90)).Within(TimeSpan.FromMilliseconds(1)));
        }
    }

    [Test]
    public async Task Should_report_an_empty_backlog_with_no_oldest_row()
    {
        var backlog = await Outbox.GetBacklogAsync(None);

        Assert.That(backlog, Is.EqualTo(new OutboxBacklog(0, 0, null)));
    }

    [Test]
    public async Task Should_not_claim_a_message_leased_to_a_live_relay()
    {
        await Outbox.EnqueueAsync(Message(), None);
        await Outbox.ClaimAsync("relay-a", 10, Lease, None);

        var second = await Outbox.ClaimAsync("relay-b", 10, Lease, None);

        Assert.That(second, Is.Empty);
    }

    [Test]
    public async Task Should_claim_again_a_message_whose_relay_let_its_lease_expire()
    {
        await Outbox.EnqueueAsync(Message(), None);
        await Outbox.ClaimAsync("crashed-relay", 10, Lease, None);
        Clock.Advance(Lease);

        var reclaimed = await Outbox.ClaimAsync("relay-b", 10, Lease, None);

        Assert.That(reclaimed, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Should_claim_the_oldest_due_messages_first_up_to_the_batch_size()
    {
        var start = Clock.GetUtcNow();
        var messages = Enumerable.Range(0, 5).Select(i => Message(availableAt: start.AddSeconds(-i))).ToList();
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Outbox.EnqueueAsync(unitOfWork, messages, None);
            await unitOfWork.CommitAsync(None);
        }

        var claimed = await Outbox.ClaimAsync("relay-a", 2, Lease, None);

        Assert.That(claimed.Select(c => c.MessageId), Is.EquivalentTo(new[] { messages[4].MessageId, messages[3].MessageId }));
    }

    [Test]
    public async Task Should_not_claim_a_message_once_it_is_sent()
    {
        await Outbox.EnqueueAsync(Message(), None);
        var claimed = await Outbox.ClaimAsync("relay-a", 10, Lease, None);
        await Outbox.MarkSentAsync("relay-a", claimed.Select(c => c.Id).ToList(), None);
        Clock.Advance(Lease * 2);

        var again = await Outbox.ClaimAsync("relay-b", 10, Lease, None);

        Assert.That(again, Is.Empty);
    }

    [Test]
    public async Task Should_leave_alone_a_message_marked_sent_by_a_relay_that_lost_its_lease()
    {
        await Outbox.EnqueueAsync(Message(), None);
        var first = await Outbox.ClaimAsync("slow-relay", 10, Lease, None);
        Clock.Advance(Lease);
        await Outbox.ClaimAsync("relay-b", 10, Lease, None);

        await Outbox.MarkSentAsync("slow-relay", first.Select(c => c.Id).ToList(), None);
        var sent = await QueryRawAsync<int>("SELECT COUNT(*) FROM sync.outbox WHERE sent_at IS NOT NULL");

        Assert.That(sent.Single(), Is.Zero);
    }

    [Test]
    public async Task Should_release_a_message_for_a_later_attempt_with_its_error()
    {
        await Outbox.EnqueueAsync(Message(), None);
        var claimed = await Outbox.ClaimAsync("relay-a", 10, Lease, None);

        await Outbox.ReleaseAsync("relay-a", claimed[0].Id, Clock.GetUtcNow().AddSeconds(10), "broker unreachable", None);
        var tooEarly = await Outbox.ClaimAsync("relay-a", 10, Lease, None);
        Clock.Advance(TimeSpan.FromSeconds(10));
        var retried = await Outbox.ClaimAsync("relay-a", 10, Lease, None);
        var error = await QueryRawAsync<string>("SELECT last_error FROM sync.outbox WHERE id = @Id", new { claimed[0].Id });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tooEarly, Is.Empty);
            Assert.That(retried.Single().Attempts, Is.EqualTo(1));
            Assert.That(error.Single(), Is.EqualTo("broker unreachable"));
        }
    }

    [Test]
    public async Task Should_keep_every_field_and_the_order_of_many_rows_enqueued_at_once()
    {
        var start = Clock.GetUtcNow();
        var messages = Enumerable.Range(0, 40).Select(i => Message(
                availableAt: start.AddSeconds(-i % 3),
                headers: i % 2 == 0 ? new Dictionary<string, string> { ["x-lane"] = $"lane-{i}" } : null)
            with { Body = $$"""{"n":{{i}},"text":"é \" ' ✓"}""", Destination = $"queue-{i % 4}", LocationId = i % 5 == 0 ? null : $"loc-{i % 7}" })
            .ToList();
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Outbox.EnqueueAsync(unitOfWork, messages, None);
            await unitOfWork.CommitAsync(None);
        }

        var rows = await QueryRawAsync<(long Id, Guid MessageId, string Destination, string Body, string? LocationId)>(
            "SELECT id AS Id, message_id AS MessageId, destination AS Destination, body AS Body, location_id AS LocationId FROM sync.outbox ORDER BY id");
        var claimed = await Outbox.ClaimAsync("relay-a", 100, Lease, None);
        var byId = claimed.ToDictionary(c => c.MessageId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows.Select(r => r.MessageId), Is.EqualTo(messages.Select(m => m.MessageId)), "ids ascend in the order given");
            Assert.That(rows.Select(r => r.Destination), Is.EqualTo(messages.Select(m => m.Destination)));
            Assert.That(rows.Select(r => r.Body), Is.EqualTo(messages.Select(m => m.Body)));
            Assert.That(rows.Select(r => r.LocationId), Is.EqualTo(messages.Select(m => m.LocationId)));
            Assert.That(claimed, Has.Count.EqualTo(messages.Count), "every row is due: available_at kept");
            Assert.That(messages.Select(m => byId[m.MessageId].Headers.Count), Is.EqualTo(messages.Select(m => m.Headers.Count)));
            Assert.That(byId[messages[2].MessageId].Headers["x-lane"], Is.EqualTo("lane-2"));
            Assert.That(claimed.Select(c => c.MessageType).Distinct(), Is.EqualTo(new[] { "Sync.Contracts.WebhookReceived" }));
        }
    }

    [Test]
    public async Task Should_not_claim_a_row_enqueued_at_once_with_others_before_it_is_available()
    {
        var start = Clock.GetUtcNow();
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Outbox.EnqueueAsync(unitOfWork, [Message(availableAt: start), Message(availableAt: start.AddSeconds(30)), Message(availableAt: start)], None);
            await unitOfWork.CommitAsync(None);
        }

        var early = await Outbox.ClaimAsync("relay-a", 10, Lease, None);

        Assert.That(early, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Should_not_keep_messages_enqueued_in_a_unit_of_work_that_rolls_back()
    {
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Outbox.EnqueueAsync(unitOfWork, [Message(), Message()], None);
        }

        var claimed = await Outbox.ClaimAsync("relay-a", 10, Lease, None);

        Assert.That(claimed, Is.Empty);
    }

    [Test]
    public async Task Should_purge_only_sent_messages_sent_before_the_cutoff()
    {
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Outbox.EnqueueAsync(unitOfWork, [Message(), Message(), Message()], None);
            await unitOfWork.CommitAsync(None);
        }

        var claimed = await Outbox.ClaimAsync("relay-a", 1, Lease, None);
        await Outbox.MarkSentAsync("relay-a", [claimed[0].Id], None);
        Clock.Advance(TimeSpan.FromDays(2));
        var recent = await Outbox.ClaimAsync("relay-a", 1, Lease, None);
        await Outbox.MarkSentAsync("relay-a", [recent[0].Id], None);

        var purged = await Outbox.PurgeSentAsync(Clock.GetUtcNow() - TimeSpan.FromDays(1), None);
        var remaining = await QueryRawAsync<int>("SELECT COUNT(*) FROM sync.outbox");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(purged, Is.EqualTo(1));
            Assert.That(remaining.Single(), Is.EqualTo(2), "the recently sent row and the unsent row stay");
        }
    }

    [Test]
    public async Task Should_delete_only_the_unsent_rows_of_one_location()
    {
        var location = Unique("loc");
        await Outbox.EnqueueAsync(Message() with { LocationId = location }, None);
        await Outbox.EnqueueAsync(Message() with { LocationId = location }, None);
        await Outbox.EnqueueAsync(Message() with { LocationId = Unique("other") }, None);

        int deleted;
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            deleted = await Outbox.DeletePendingAsync(unitOfWork, location, None);
            await unitOfWork.CommitAsync(None);
        }

        var left = await Outbox.ClaimAsync("relay", 100, TimeSpan.FromMinutes(1), None);
        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.EqualTo(2));
            Assert.That(left, Has.Count.EqualTo(1));
        });
    }

    private OutboxMessage Message(DateTimeOffset? availableAt = null, IReadOnlyDictionary<string, string>? headers = null) => new(
        Guid.NewGuid(),
        "Sync.Contracts.WebhookReceived",
        "publish",
        """{"locationId":"loc-1","type":"ContactCreate"}""",
        headers ?? new Dictionary<string, string>(),
        availableAt ?? Clock.GetUtcNow());
}

[TestFixture]
public sealed class When_the_outbox_is_on_postgresql : Outbox_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_the_outbox_is_on_sql_server : Outbox_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
