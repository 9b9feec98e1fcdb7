using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What every provider answers an import asking where its messages stand.</summary>
public abstract class Import_message_status_contract : StorageFixture
{
    private IMessageStatusStore Statuses => Get<IMessageStatusStore>();

    [Test]
    public async Task Should_tell_processed_queued_sent_and_dead_lettered_apart_and_leave_unknown_ids_out()
    {
        var consumer = Unique("consumer");
        var (processed, queued, sent, dead, replayed, unknown, otherConsumer) =
            (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var outbox = Get<IOutboxStore>();
        foreach (var id in new[] { processed, queued, sent, dead, replayed })
        {
            await outbox.EnqueueAsync(new OutboxMessage(id, "Sync.Contracts.WebhookReceived", "publish", "{}", new Dictionary<string, string>(), Clock.GetUtcNow()), None);
        }

        await using (var claim = await outbox.ClaimAsync(10, TimeSpan.FromMinutes(1), None))
        {
            await claim.CompleteAsync(claim.Messages.Where(c => c.MessageId != queued).Select(c => c.Id).ToList(), [], None);
        }

        await Get<IInboxStore>().TryMarkProcessedAsync(consumer, processed, None);
        await Get<IInboxStore>().TryMarkProcessedAsync(Unique("consumer"), otherConsumer, None);
        var deadLetters = Get<IDeadLetterStore>();
        await deadLetters.AddOrUpdateAsync(Failure(dead), None);
        var replay = await deadLetters.AddOrUpdateAsync(Failure(replayed), None);
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await deadLetters.MarkReplayedAsync(unitOfWork, replay.Id, "test", null, None);
            await unitOfWork.CommitAsync(None);
        }

        var statuses = await Statuses.GetStatusesAsync(consumer, [processed, queued, sent, dead, replayed, unknown, otherConsumer], None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Keys, Is.EquivalentTo(new[] { processed, queued, sent, dead, replayed }));
            Assert.That(statuses[processed].Standing, Is.EqualTo(MessageStanding.Processed));
            Assert.That(statuses[queued].Standing, Is.EqualTo(MessageStanding.Queued));
            Assert.That(statuses[sent].Standing, Is.EqualTo(MessageStanding.Queued));
            Assert.That(statuses[dead].Standing, Is.EqualTo(MessageStanding.DeadLettered));
            Assert.That(statuses[dead].Reason, Is.EqualTo("Bad Request: email invalid"));
            Assert.That(statuses[replayed].Standing, Is.EqualTo(MessageStanding.Queued), "a replayed dead letter is on its way again");
        }
    }

    [Test]
    public async Task Should_answer_nothing_for_no_ids() =>
        Assert.That(await Statuses.GetStatusesAsync(Unique("consumer"), [], None), Is.Empty);

    private DeadLetterFailure Failure(Guid messageId) => new(
        "webhook-received_error", messageId.ToString(), "Sync.Contracts.WebhookReceived", "Loc1", "{}", new Dictionary<string, string>(),
        "SyncFailureException", "Bad Request: email invalid", null, "permanent", Clock.GetUtcNow());
}

[TestFixture]
public sealed class When_Import_message_statuses_are_on_postgresql : Import_message_status_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_Import_message_statuses_are_on_sql_server : Import_message_status_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
