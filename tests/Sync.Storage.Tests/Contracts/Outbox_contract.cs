using System.Data.Common;
using Dapper;
using Sync.Storage.Internal.PostgreSql;
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

        await using var claim = await Outbox.ClaimAsync(10, Lease, None);

        Assert.That(claim.Messages, Has.Count.EqualTo(1));
        var row = claim.Messages[0];
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

        var early = await ClaimCountAsync();
        Clock.Advance(TimeSpan.FromSeconds(30));
        var due = await ClaimCountAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(early, Is.Zero);
            Assert.That(due, Is.EqualTo(1));
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
        await SendOldestAsync(1);

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
    public async Task Should_not_claim_a_message_another_relay_holds()
    {
        await Outbox.EnqueueAsync(Message(), None);
        await Outbox.EnqueueAsync(Message(), None);
        await using var first = await Outbox.ClaimAsync(1, Lease, None);

        var second = await ClaimCountAsync();
        var third = await ClaimCountAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Messages, Has.Count.EqualTo(1));
            Assert.That(second, Is.EqualTo(1), "the row the first claim holds is skipped, the other is claimed");
            Assert.That(third, Is.EqualTo(1), "a claim disposed without completing gives its row back");
        }
    }

    [Test]
    public async Task Should_give_back_untouched_the_rows_of_a_claim_that_ends_without_completing()
    {
        await Outbox.EnqueueAsync(Message(), None);
        await using (var crashed = await Outbox.ClaimAsync(10, Lease, None))
        {
            Assert.That(crashed.Messages, Has.Count.EqualTo(1));
        }

        await using var again = await Outbox.ClaimAsync(10, Lease, None);

        Assert.That(again.Messages.Select(m => m.Attempts), Is.EqualTo(new[] { 0 }), "claimed again at once, no attempt counted");
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

        await using var claim = await Outbox.ClaimAsync(2, Lease, None);

        Assert.That(claim.Messages.Select(c => c.MessageId), Is.EquivalentTo(new[] { messages[4].MessageId, messages[3].MessageId }));
    }

    [Test]
    public async Task Should_not_claim_a_message_once_it_is_sent()
    {
        await Outbox.EnqueueAsync(Message(), None);
        await SendOldestAsync(10);
        Clock.Advance(Lease * 2);

        var again = await ClaimCountAsync();
        var sent = await QueryRawAsync<int>("SELECT COUNT(*) FROM sync.outbox WHERE sent_at IS NOT NULL");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.Zero);
            Assert.That(sent.Single(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_mark_only_the_claims_own_rows_sent()
    {
        await Outbox.EnqueueAsync(Message(), None);
        await Outbox.EnqueueAsync(Message(), None);
        await using var other = await Outbox.ClaimAsync(1, Lease, None);
        await using (var claim = await Outbox.ClaimAsync(10, Lease, None))
        {
            await claim.CompleteAsync([claim.Messages[0].Id, other.Messages[0].Id], [], None);
        }

        await other.DisposeAsync();
        var unsent = await QueryRawAsync<long>("SELECT id FROM sync.outbox WHERE sent_at IS NULL");

        Assert.That(unsent, Is.EqualTo(new[] { other.Messages[0].Id }));
    }

    [Test]
    public async Task Should_release_a_message_for_a_later_attempt_with_its_error_and_mark_the_rest_sent()
    {
        await Outbox.EnqueueAsync(Message(), None);
        await Outbox.EnqueueAsync(Message(), None);
        long failed;
        await using (var claim = await Outbox.ClaimAsync(10, Lease, None))
        {
            failed = claim.Messages[0].Id;
            await claim.CompleteAsync(
                [claim.Messages[1].Id], [new OutboxRetry(failed, Clock.GetUtcNow().AddSeconds(10), "broker unreachable")], None);
        }

        var tooEarly = await ClaimCountAsync();
        Clock.Advance(TimeSpan.FromSeconds(10));
        await using var retried = await Outbox.ClaimAsync(10, Lease, None);
        var error = await QueryRawAsync<string>("SELECT last_error FROM sync.outbox WHERE id = @Id", new { Id = failed });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tooEarly, Is.Zero, "the sent row is done and the failed one not due yet");
            Assert.That(retried.Messages.Select(m => (m.Id, m.Attempts)), Is.EqualTo(new[] { (failed, 1) }));
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
        await using var claim = await Outbox.ClaimAsync(100, Lease, None);
        var claimed = claim.Messages;
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

        var early = await ClaimCountAsync();

        Assert.That(early, Is.EqualTo(2));
    }

    [Test]
    public async Task Should_not_keep_messages_enqueued_in_a_unit_of_work_that_rolls_back()
    {
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Outbox.EnqueueAsync(unitOfWork, [Message(), Message()], None);
        }

        var claimed = await ClaimCountAsync();

        Assert.That(claimed, Is.Zero);
    }

    [Test]
    public async Task Should_purge_only_sent_messages_sent_before_the_cutoff()
    {
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Outbox.EnqueueAsync(unitOfWork, [Message(), Message(), Message()], None);
            await unitOfWork.CommitAsync(None);
        }

        await SendOldestAsync(1);
        Clock.Advance(TimeSpan.FromDays(2));
        await SendOldestAsync(1);

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

        var left = await ClaimCountAsync();
        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.EqualTo(2));
            Assert.That(left, Is.EqualTo(1));
        });
    }

    // How many rows one claim takes now; the claim is then given back.
    private async Task<int> ClaimCountAsync()
    {
        await using var claim = await Outbox.ClaimAsync(100, Lease, None);
        return claim.Messages.Count;
    }

    // Claims up to batchSize rows and completes the claim with all of them sent.
    private async Task SendOldestAsync(int batchSize)
    {
        await using var claim = await Outbox.ClaimAsync(batchSize, Lease, None);
        Assert.That(claim.Messages, Is.Not.Empty, "nothing to send");
        await claim.CompleteAsync(claim.Messages.Select(m => m.Id).ToList(), [], None);
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

    [Test]
    public async Task Should_end_a_claim_left_idle_longer_than_its_lease_and_let_another_relay_take_its_rows()
    {
        await Get<IOutboxStore>().EnqueueAsync(
            new OutboxMessage(Guid.NewGuid(), "Sync.Contracts.WebhookReceived", "publish", "{}", new Dictionary<string, string>(), Clock.GetUtcNow()), None);
        await using var hung = await Get<IOutboxStore>().ClaimAsync(10, TimeSpan.FromMilliseconds(200), None);
        await Task.Delay(TimeSpan.FromSeconds(1));

        await using var other = await Get<IOutboxStore>().ClaimAsync(10, TimeSpan.FromMinutes(1), None);
        var late = Assert.CatchAsync<DbException>(() => hung.CompleteAsync(hung.Messages.Select(m => m.Id).ToList(), [], None));
        var sent = await QueryRawAsync<int>("SELECT COUNT(*) FROM sync.outbox WHERE sent_at IS NOT NULL");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(hung.Messages, Has.Count.EqualTo(1));
            Assert.That(other.Messages.Select(m => m.Id), Is.EqualTo(hung.Messages.Select(m => m.Id)), "the hung claim's row is free again");
            Assert.That(late, Is.Not.Null, "the hung claim's session was ended, so its late outcome is refused");
            Assert.That(sent.Single(), Is.Zero);
        }
    }

    [Test]
    public async Task Should_claim_and_record_a_backlog_the_statistics_do_not_know_without_reading_it_whole()
    {
        // A backlog arrives before the table has statistics (a new database, autovacuum not yet run); the planner then
        // expects a handful of due rows. The test needs them absent: it is the fixture's second and disables autovacuum.
        await ExecuteRawAsync("ALTER TABLE sync.outbox SET (autovacuum_enabled = false)");
        try
        {
            var known = await QueryRawAsync<long>("SELECT COUNT(*) FROM pg_stats WHERE schemaname = 'sync' AND tablename = 'outbox'");
            await TestContext.Out.WriteLineAsync($"statistics rows on the outbox before the backlog: {known.Single()}");
            await EnqueueManyAsync(5_000);

            await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
            var parameters = new { IdleTimeout = "30000", BatchSize = 100, Now = Clock.GetUtcNow() };
            await unitOfWork.Connection.ExecuteAsync(new CommandDefinition(PostgreSqlStatements.OutboxClaimSettings, parameters, unitOfWork.Transaction));
            var plan = await unitOfWork.Connection.QuerySingleAsync<string>(
                new CommandDefinition("EXPLAIN (FORMAT JSON) " + PostgreSqlStatements.OutboxClaim, parameters, unitOfWork.Transaction));
            await TestContext.Out.WriteLineAsync(plan);
            var ids = (await QueryRawAsync<long>("SELECT id FROM sync.outbox ORDER BY id LIMIT 100")).ToArray();
            var markPlan = await unitOfWork.Connection.QuerySingleAsync<string>(new CommandDefinition(
                "EXPLAIN (FORMAT JSON) " + PostgreSqlStatements.OutboxMarkSent, new { Ids = ids, Now = Clock.GetUtcNow() }, unitOfWork.Transaction));
            var releasePlan = await unitOfWork.Connection.QuerySingleAsync<string>(new CommandDefinition(
                "EXPLAIN (FORMAT JSON) " + PostgreSqlStatements.OutboxRelease,
                new { Id = ids[0], AvailableAt = Clock.GetUtcNow(), Error = "x" },
                unitOfWork.Transaction));
            await TestContext.Out.WriteLineAsync(markPlan);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(plan, Does.Contain("\"Index Name\": \"ix_outbox_due\""), "the claim walks the due index");
                Assert.That(plan, Does.Not.Contain("\"Node Type\": \"Sort\""), "a sort would read the whole backlog for each claim");
                Assert.That(plan, Does.Not.Contain("Bitmap"), "a bitmap scan comes out unordered, to be sorted");

                // By key: the due index leads with available_at, so finding ids in it means reading every entry.
                Assert.That(markPlan, Does.Contain("\"Index Name\": \"pk_outbox\""), "marking sent finds the rows by key");
                Assert.That(releasePlan, Does.Contain("\"Index Name\": \"pk_outbox\""), "giving a row back finds it by key");
            }
        }
        finally
        {
            await ExecuteRawAsync("ALTER TABLE sync.outbox RESET (autovacuum_enabled)");
        }
    }

    // Rows the size of a webhook's (about 700 bytes of body), so that the backlog spans as many pages as a real one.
    private async Task EnqueueManyAsync(int count)
    {
        var now = Clock.GetUtcNow();
        var body = $$"""{"pad":"{{new string('x', 700)}}"}""";
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        await Get<IOutboxStore>().EnqueueAsync(
            unitOfWork,
            Enumerable.Range(0, count)
                .Select(i => new OutboxMessage(Guid.NewGuid(), "Sync.Contracts.WebhookReceived", "publish", body, new Dictionary<string, string>(), now.AddMilliseconds(-i)))
                .ToList(),
            None);
        await unitOfWork.CommitAsync(None);
    }
}

[TestFixture]
public sealed class When_the_outbox_is_on_sql_server : Outbox_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
