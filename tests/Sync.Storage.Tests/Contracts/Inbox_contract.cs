using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What every provider's inbox does.</summary>
public abstract class Inbox_contract : StorageFixture
{
    private IInboxStore Inbox => Get<IInboxStore>();

    [Test]
    public async Task Should_say_a_message_id_is_new_the_first_time()
    {
        var isNew = await Inbox.TryMarkProcessedAsync(Unique("consumer"), Guid.NewGuid(), None);

        Assert.That(isNew, Is.True);
    }

    [Test]
    public async Task Should_say_a_recorded_message_id_is_not_new()
    {
        var consumer = Unique("consumer");
        var id = Guid.NewGuid();
        await Inbox.TryMarkProcessedAsync(consumer, id, None);

        var isNew = await Inbox.TryMarkProcessedAsync(consumer, id, None);

        Assert.That(isNew, Is.False);
    }

    [Test]
    public async Task Should_keep_consumers_apart()
    {
        var id = Guid.NewGuid();
        await Inbox.TryMarkProcessedAsync(Unique("consumer"), id, None);

        var isNew = await Inbox.TryMarkProcessedAsync(Unique("consumer"), id, None);

        Assert.That(isNew, Is.True);
    }

    [Test]
    public async Task Should_say_not_new_within_the_same_unit_of_work()
    {
        var consumer = Unique("consumer");
        var id = Guid.NewGuid();
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        await Inbox.TryMarkProcessedAsync(unitOfWork, consumer, id, None);

        var again = await Inbox.TryMarkProcessedAsync(unitOfWork, consumer, id, None);

        Assert.That(again, Is.False);
    }

    [Test]
    public async Task Should_forget_the_mark_when_the_unit_of_work_rolls_back()
    {
        var consumer = Unique("consumer");
        var id = Guid.NewGuid();
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Inbox.TryMarkProcessedAsync(unitOfWork, consumer, id, None);
        }

        var isNew = await Inbox.TryMarkProcessedAsync(consumer, id, None);

        Assert.That(isNew, Is.True);
    }

    [Test]
    public async Task Should_report_a_mark_as_processed_only_once_committed()
    {
        var consumer = Unique("consumer");
        var id = Guid.NewGuid();
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        await Inbox.TryMarkProcessedAsync(unitOfWork, consumer, id, None);
        var beforeCommit = await Inbox.IsProcessedAsync(consumer, id, None);

        await unitOfWork.CommitAsync(None);
        var afterCommit = await Inbox.IsProcessedAsync(consumer, id, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(beforeCommit, Is.False);
            Assert.That(afterCommit, Is.True);
        }
    }

    [Test]
    public async Task Should_purge_only_records_older_than_the_cutoff()
    {
        var consumer = Unique("consumer");
        var old = Guid.NewGuid();
        var recent = Guid.NewGuid();
        await Inbox.TryMarkProcessedAsync(consumer, old, None);
        Clock.Advance(TimeSpan.FromDays(8));
        await Inbox.TryMarkProcessedAsync(consumer, recent, None);

        var purged = await Inbox.PurgeAsync(Clock.GetUtcNow() - TimeSpan.FromDays(7), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(purged, Is.GreaterThanOrEqualTo(1));
            Assert.That(await Inbox.IsProcessedAsync(consumer, old, None), Is.False);
            Assert.That(await Inbox.IsProcessedAsync(consumer, recent, None), Is.True);
        }
    }
}

[TestFixture]
public sealed class When_the_inbox_is_on_postgresql : Inbox_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_the_inbox_is_on_sql_server : Inbox_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
