using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What every provider's dead-letter store does.</summary>
public abstract class Dead_letter_contract : StorageFixture
{
    private IDeadLetterStore DeadLetters => Get<IDeadLetterStore>();

    [Test]
    public async Task Should_keep_a_new_failure_as_it_came_with_status_new()
    {
        var failure = Failure(Unique("queue"));

        var written = await DeadLetters.AddOrUpdateAsync(failure, None);
        var stored = await DeadLetters.GetAsync(written.Id, None);

        Assert.That(stored, Is.Not.Null);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(written.Created, Is.True);
            Assert.That(stored!.SourceQueue, Is.EqualTo(failure.SourceQueue));
            Assert.That(stored.MessageId, Is.EqualTo(failure.MessageId));
            Assert.That(stored.MessageType, Is.EqualTo(failure.MessageType));
            Assert.That(stored.LocationId, Is.EqualTo(failure.LocationId));
            Assert.That(stored.Body, Is.EqualTo(failure.Body));
            Assert.That(stored.Headers, Is.EquivalentTo(failure.Headers));
            Assert.That(stored.FaultType, Is.EqualTo(failure.FaultType));
            Assert.That(stored.FaultMessage, Is.EqualTo(failure.FaultMessage));
            Assert.That(stored.FaultStackTrace, Is.EqualTo(failure.FaultStackTrace));
            Assert.That(stored.Classification, Is.EqualTo(failure.Classification));
            Assert.That(stored.Fingerprint, Is.EqualTo(DeadLetterFingerprint.Compute(failure.MessageType, failure.FaultType, failure.FaultMessage)));
            Assert.That(stored.FirstFailedAt, Is.EqualTo(failure.FailedAt));
            Assert.That(stored.LastFailedAt, Is.EqualTo(failure.FailedAt));
            Assert.That(stored.FailureCount, Is.EqualTo(1));
            Assert.That(stored.Status, Is.EqualTo(DeadLetterStatus.New));
            Assert.That(stored.ReplayCount, Is.Zero);
        }
    }

    [Test]
    public async Task Should_update_rather_than_duplicate_a_message_that_fails_again()
    {
        var first = Failure(Unique("queue"));
        var second = first with { FailedAt = first.FailedAt.AddMinutes(3), FaultMessage = "still failing" };
        var written = await DeadLetters.AddOrUpdateAsync(first, None);

        var again = await DeadLetters.AddOrUpdateAsync(second, None);
        var page = await DeadLetters.QueryAsync(new DeadLetterFilter { SourceQueue = first.SourceQueue }, None);

        Assert.That(page.Items, Has.Count.EqualTo(1));
        var stored = page.Items[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.EqualTo(new DeadLetterWriteResult(written.Id, Created: false)));
            Assert.That(stored.FailureCount, Is.EqualTo(2));
            Assert.That(stored.FirstFailedAt, Is.EqualTo(first.FailedAt));
            Assert.That(stored.LastFailedAt, Is.EqualTo(second.FailedAt));
            Assert.That(stored.FaultMessage, Is.EqualTo("still failing"));
        }
    }

    [Test]
    public async Task Should_return_a_replayed_message_to_new_when_it_fails_again()
    {
        var failure = Failure(Unique("queue"));
        var written = await DeadLetters.AddOrUpdateAsync(failure, None);
        await InUnitOfWork(uow => DeadLetters.MarkReplayedAsync(uow, written.Id, "ops@example.com", null, None));

        await DeadLetters.AddOrUpdateAsync(failure with { FailedAt = failure.FailedAt.AddMinutes(1) }, None);
        var stored = await DeadLetters.GetAsync(written.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored!.Status, Is.EqualTo(DeadLetterStatus.New));
            Assert.That(stored.ReplayCount, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_mark_a_replay_with_an_audit_entry()
    {
        var written = await DeadLetters.AddOrUpdateAsync(Failure(Unique("queue")), None);

        var marked = false;
        await InUnitOfWork(async uow => marked = await DeadLetters.MarkReplayedAsync(uow, written.Id, "ops@example.com", "fixed the mapping", None));
        var stored = await DeadLetters.GetAsync(written.Id, None);
        var trail = await DeadLetters.GetAuditTrailAsync(written.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(marked, Is.True);
            Assert.That(stored!.Status, Is.EqualTo(DeadLetterStatus.Replayed));
            Assert.That(stored.ReplayCount, Is.EqualTo(1));
            Assert.That(stored.StatusChangedAt, Is.EqualTo(Clock.GetUtcNow()));
            Assert.That(trail, Is.EqualTo(new[]
            {
                new DeadLetterAuditEntry(written.Id, DeadLetterAction.Replayed, "ops@example.com", "fixed the mapping", Clock.GetUtcNow()),
            }));
        }
    }

    [Test]
    public async Task Should_forget_a_replay_whose_unit_of_work_rolls_back()
    {
        var written = await DeadLetters.AddOrUpdateAsync(Failure(Unique("queue")), None);
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await DeadLetters.MarkReplayedAsync(unitOfWork, written.Id, "ops@example.com", null, None);
        }

        var stored = await DeadLetters.GetAsync(written.Id, None);
        var trail = await DeadLetters.GetAuditTrailAsync(written.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored!.Status, Is.EqualTo(DeadLetterStatus.New));
            Assert.That(trail, Is.Empty);
        }
    }

    [Test]
    public async Task Should_discard_with_an_audit_entry()
    {
        var written = await DeadLetters.AddOrUpdateAsync(Failure(Unique("queue")), None);

        var discarded = await DeadLetters.DiscardAsync(written.Id, "ops@example.com", "test data", None);
        var stored = await DeadLetters.GetAsync(written.Id, None);
        var trail = await DeadLetters.GetAuditTrailAsync(written.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(discarded, Is.True);
            Assert.That(stored!.Status, Is.EqualTo(DeadLetterStatus.Discarded));
            Assert.That(trail.Single().Action, Is.EqualTo(DeadLetterAction.Discarded));
            Assert.That(trail.Single().Note, Is.EqualTo("test data"));
        }
    }

    [Test]
    public async Task Should_say_when_there_is_no_dead_letter_to_act_on()
    {
        var unknown = Guid.NewGuid();

        var discarded = await DeadLetters.DiscardAsync(unknown, "ops@example.com", null, None);
        var replayed = true;
        await InUnitOfWork(async uow => replayed = await DeadLetters.MarkReplayedAsync(uow, unknown, "ops@example.com", null, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(discarded, Is.False);
            Assert.That(replayed, Is.False);
            Assert.That(await DeadLetters.GetAsync(unknown, None), Is.Null);
        }
    }

    [Test]
    public async Task Should_discard_every_new_dead_letter_of_an_uninstalled_location_and_no_other()
    {
        var queue = Unique("queue");
        var location = Unique("loc");
        var first = await DeadLetters.AddOrUpdateAsync(Failure(queue, location: location), None);
        await DeadLetters.AddOrUpdateAsync(Failure(queue, location: location), None);
        var alreadyReplayed = await DeadLetters.AddOrUpdateAsync(Failure(queue, location: location), None);
        await InUnitOfWork(uow => DeadLetters.MarkReplayedAsync(uow, alreadyReplayed.Id, "ops@example.com", null, None));
        var otherLocation = await DeadLetters.AddOrUpdateAsync(Failure(queue, location: Unique("loc")), None);

        var count = 0;
        await InUnitOfWork(async uow => count = await DeadLetters.DiscardLocationAsync(uow, location, "uninstall", "location uninstalled", None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(count, Is.EqualTo(2));
            Assert.That((await DeadLetters.GetAsync(first.Id, None))!.Status, Is.EqualTo(DeadLetterStatus.Discarded));
            Assert.That((await DeadLetters.GetAuditTrailAsync(first.Id, None)).Single().Actor, Is.EqualTo("uninstall"));
            Assert.That((await DeadLetters.GetAsync(alreadyReplayed.Id, None))!.Status, Is.EqualTo(DeadLetterStatus.Replayed));
            Assert.That((await DeadLetters.GetAsync(otherLocation.Id, None))!.Status, Is.EqualTo(DeadLetterStatus.New));
        }
    }

    [Test]
    public async Task Should_filter_by_status()
    {
        var queue = Unique("queue");
        var discarded = await DeadLetters.AddOrUpdateAsync(Failure(queue), None);
        var kept = await DeadLetters.AddOrUpdateAsync(Failure(queue), None);
        await DeadLetters.DiscardAsync(discarded.Id, "ops@example.com", null, None);

        var page = await DeadLetters.QueryAsync(new DeadLetterFilter { SourceQueue = queue, Status = DeadLetterStatus.New }, None);

        Assert.That(page.Items.Select(d => d.Id), Is.EqualTo(new[] { kept.Id }));
    }

    [Test]
    public async Task Should_filter_by_message_type_and_location()
    {
        var queue = Unique("queue");
        var location = Unique("loc");
        var match = await DeadLetters.AddOrUpdateAsync(Failure(queue, messageType: "Sync.Contracts.ChangeContactTags", location: location), None);
        await DeadLetters.AddOrUpdateAsync(Failure(queue, messageType: "Sync.Contracts.ChangeContactTags", location: Unique("loc")), None);
        await DeadLetters.AddOrUpdateAsync(Failure(queue, messageType: "Sync.Contracts.UpsertContact", location: location), None);

        var page = await DeadLetters.QueryAsync(
            new DeadLetterFilter { SourceQueue = queue, MessageType = "Sync.Contracts.ChangeContactTags", LocationId = location }, None);

        Assert.That(page.Items.Select(d => d.Id), Is.EqualTo(new[] { match.Id }));
    }

    [Test]
    public async Task Should_filter_by_time_range_of_the_last_failure()
    {
        var queue = Unique("queue");
        var t0 = Clock.GetUtcNow();
        await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FailedAt = t0.AddMinutes(-10) }, None);
        var inside = await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FailedAt = t0.AddMinutes(-5) }, None);
        await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FailedAt = t0 }, None);

        var page = await DeadLetters.QueryAsync(
            new DeadLetterFilter { SourceQueue = queue, LastFailedFrom = t0.AddMinutes(-5), LastFailedBefore = t0 }, None);

        Assert.That(page.Items.Select(d => d.Id), Is.EqualTo(new[] { inside.Id }));
    }

    [Test]
    public async Task Should_page_most_recent_failure_first_and_count_them_all()
    {
        var queue = Unique("queue");
        var t0 = Clock.GetUtcNow();
        var written = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            written.Add((await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FailedAt = t0.AddSeconds(i) }, None)).Id);
        }

        var page = await DeadLetters.QueryAsync(new DeadLetterFilter { SourceQueue = queue, Skip = 1, Take = 2 }, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(page.Total, Is.EqualTo(5));
            Assert.That(page.Items.Select(d => d.Id), Is.EqualTo(new[] { written[3], written[2] }));
        }
    }

    [Test]
    public async Task Should_group_alike_failures_by_fingerprint_largest_group_first()
    {
        var queue = Unique("queue");
        for (var i = 0; i < 3; i++)
        {
            await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FaultMessage = $"Contact {1000 + i} was not found" }, None);
        }

        await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FaultType = "System.TimeoutException", FaultMessage = "The operation timed out" }, None);

        var groups = await DeadLetters.GroupByFingerprintAsync(new DeadLetterFilter { SourceQueue = queue }, None);

        Assert.That(groups, Has.Count.EqualTo(2));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(groups.Select(g => g.Count), Is.EqualTo(new[] { 3L, 1L }));
            Assert.That(groups[0].FaultType, Is.EqualTo("Sync.HoopAi.ApiException"));
            Assert.That(groups[0].SampleFaultMessage, Does.Match("Contact 100[0-2] was not found"));
        }

        var byFingerprint = await DeadLetters.QueryAsync(new DeadLetterFilter { SourceQueue = queue, Fingerprint = groups[0].Fingerprint }, None);
        Assert.That(byFingerprint.Total, Is.EqualTo(3));
    }

    [Test]
    public async Task Should_count_the_same_delivery_seen_twice_once_as_a_DeadLetter_redelivered_to_the_collector()
    {
        var failure = Failure(Unique("queue"));
        var written = await DeadLetters.AddOrUpdateAsync(failure, None);

        var again = await DeadLetters.AddOrUpdateAsync(failure, None);
        var stored = await DeadLetters.GetAsync(written.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.Id, Is.EqualTo(written.Id));
            Assert.That(stored!.FailureCount, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_keep_a_failed_replay_as_a_new_DeadLetter_linked_to_the_first()
    {
        var failure = Failure(Unique("queue"));
        var first = await DeadLetters.AddOrUpdateAsync(failure, None);

        var replayFailed = await DeadLetters.AddOrUpdateAsync(failure with { FailedAt = failure.FailedAt.AddMinutes(1), ReplayOf = first.Id }, None);
        var page = await DeadLetters.QueryAsync(new DeadLetterFilter { SourceQueue = failure.SourceQueue }, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(replayFailed.Created, Is.True);
            Assert.That(page.Total, Is.EqualTo(2));
            Assert.That((await DeadLetters.GetAsync(replayFailed.Id, None))!.ReplayOf, Is.EqualTo(first.Id));
            Assert.That((await DeadLetters.GetAsync(first.Id, None))!.FailureCount, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_keep_the_http_status_api_answer_attempts_and_consumer_of_a_DeadLetter()
    {
        var failure = Failure(Unique("queue")) with
        {
            HttpStatus = 422, ApiAnswer = """{"message":"email or phone required"}""", Attempts = 5, Consumer = "WebhookReceivedConsumer",
        };

        var written = await DeadLetters.AddOrUpdateAsync(failure, None);
        var stored = await DeadLetters.GetAsync(written.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored!.HttpStatus, Is.EqualTo(422));
            Assert.That(stored.ApiAnswer, Is.EqualTo(failure.ApiAnswer));
            Assert.That(stored.Attempts, Is.EqualTo(5));
            Assert.That(stored.Consumer, Is.EqualTo("WebhookReceivedConsumer"));
            Assert.That(stored.Fingerprint, Is.EqualTo(DeadLetterFingerprint.Compute(failure.MessageType, failure.FaultType, failure.FaultMessage, failure.Consumer)));
        }
    }

    [Test]
    public async Task Should_filter_DeadLetters_by_classification_and_text()
    {
        var queue = Unique("queue");
        var match = await DeadLetters.AddOrUpdateAsync(Failure(queue) with { Classification = "permanent", ApiAnswer = "Email 100% INVALID_x" }, None);
        await DeadLetters.AddOrUpdateAsync(Failure(queue) with { Classification = "permanent", ApiAnswer = "Email 100 invalid" }, None);
        await DeadLetters.AddOrUpdateAsync(Failure(queue) with { Classification = "poison", ApiAnswer = "Email 100% INVALID_x" }, None);

        var page = await DeadLetters.QueryAsync(new DeadLetterFilter { SourceQueue = queue, Classification = "permanent", Text = "100% invalid_" }, None);

        Assert.That(page.Items.Select(d => d.Id), Is.EqualTo(new[] { match.Id }));
    }

    [Test]
    public async Task Should_purge_only_DeadLetters_older_than_asked()
    {
        var queue = Unique("queue");
        var t0 = Clock.GetUtcNow();
        var old = await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FailedAt = t0.AddDays(-31) }, None);
        var oldNew = await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FailedAt = t0.AddDays(-40) }, None);
        var recent = await DeadLetters.AddOrUpdateAsync(Failure(queue) with { FailedAt = t0.AddDays(-29) }, None);
        await DeadLetters.DiscardAsync(old.Id, "ops", null, None);
        await DeadLetters.DiscardAsync(recent.Id, "ops", null, None);

        var resolvedOnly = await DeadLetters.PurgeAsync(t0.AddDays(-30), includeNew: false, None);
        var remainingAfterFirst = (await DeadLetters.QueryAsync(new DeadLetterFilter { SourceQueue = queue }, None)).Items.Select(d => d.Id).ToList();
        var withNew = await DeadLetters.PurgeAsync(t0.AddDays(-30), includeNew: true, None);
        var remaining = (await DeadLetters.QueryAsync(new DeadLetterFilter { SourceQueue = queue }, None)).Items.Select(d => d.Id).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(resolvedOnly, Is.EqualTo(1));
            Assert.That(remainingAfterFirst, Is.EquivalentTo(new[] { oldNew.Id, recent.Id }));
            Assert.That(withNew, Is.EqualTo(1));
            Assert.That(remaining, Is.EqualTo(new[] { recent.Id }));
        }
    }

    [Test]
    public async Task Should_describe_a_DeadLetter_group_with_its_locations_and_an_example()
    {
        var queue = Unique("queue");
        var ids = new List<Guid>();
        foreach (var location in new[] { "loc-a", "loc-b", "loc-a" })
        {
            ids.Add((await DeadLetters.AddOrUpdateAsync(Failure(queue, location: location) with { Classification = "permanent" }, None)).Id);
        }

        var group = (await DeadLetters.GroupByFingerprintAsync(new DeadLetterFilter { SourceQueue = queue }, None)).Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(group.Count, Is.EqualTo(3));
            Assert.That(group.LocationCount, Is.EqualTo(2));
            Assert.That(group.Classification, Is.EqualTo("permanent"));
            Assert.That(ids, Does.Contain(group.ExampleId));
        }
    }

    [Test]
    public async Task Should_mark_an_edited_DeadLetter_replayed_with_an_edit_audit_entry()
    {
        var written = await DeadLetters.AddOrUpdateAsync(Failure(Unique("queue")), None);

        await InUnitOfWork(uow => DeadLetters.MarkEditedAsync(uow, written.Id, "ops", "new message 42", None));
        var stored = await DeadLetters.GetAsync(written.Id, None);
        var trail = await DeadLetters.GetAuditTrailAsync(written.Id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored!.Status, Is.EqualTo(DeadLetterStatus.Replayed));
            Assert.That(trail.Single().Action, Is.EqualTo(DeadLetterAction.Edited));
        }
    }

    [Test]
    public async Task Should_keep_each_circuits_state_per_owner()
    {
        var circuits = Get<ICircuitStateStore>();
        var circuit = Unique("circuit");
        var t0 = Clock.GetUtcNow();
        await circuits.UpsertAsync(new CircuitState(circuit, "worker-1", "closed", null, t0), None);
        await circuits.UpsertAsync(new CircuitState(circuit, "worker-2", "closed", null, t0), None);

        await circuits.UpsertAsync(new CircuitState(circuit, "worker-1", "open", "API answered 503 for 60 s", t0.AddMinutes(1)), None);
        var states = (await circuits.ListAsync(None)).Where(c => c.Circuit == circuit).ToList();

        Assert.That(states, Is.EqualTo(new[]
        {
            new CircuitState(circuit, "worker-1", "open", "API answered 503 for 60 s", t0.AddMinutes(1)),
            new CircuitState(circuit, "worker-2", "closed", null, t0),
        }));
    }

    private async Task InUnitOfWork(Func<IUnitOfWork, Task> work)
    {
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        await work(unitOfWork);
        await unitOfWork.CommitAsync(None);
    }

    private DeadLetterFailure Failure(string queue, string messageType = "Sync.Contracts.UpsertContact", string? location = "loc-1") => new(
        queue,
        Guid.NewGuid().ToString(),
        messageType,
        location,
        """{"contactId":"c-1"}""",
        new Dictionary<string, string> { ["MT-Fault-ExceptionType"] = "Sync.HoopAi.ApiException", ["MT-Reason"] = "fault" },
        "Sync.HoopAi.ApiException",
        "Contact c-1 was not found",
        "   at Sync.Worker.UpsertContactConsumer.Consume()",
        "Validation",
        Clock.GetUtcNow());
}

[TestFixture]
public sealed class When_dead_letters_are_on_postgresql : Dead_letter_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_dead_letters_are_on_sql_server : Dead_letter_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
