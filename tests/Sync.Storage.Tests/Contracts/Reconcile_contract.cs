using Sync.Contracts;
using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What every provider does for reconcile: list a location's index, drop what no longer exists, the run lease.</summary>
public abstract class Reconcile_contract : StorageFixture
{
    private IContactIndexStore Index => Get<IContactIndexStore>();

    private IReconcileRunStore Runs => Get<IReconcileRunStore>();

    [Test]
    public async Task Should_list_every_key_of_a_location_with_its_contact_and_write_time()
    {
        var location = Unique("loc");
        await Upsert(location, (ContactKey.Email("a@example.com"), "c1"), (ContactKey.Phone("+15550001"), "c1"), (ContactKey.Email("b@example.com"), "c2"));
        await Upsert(Unique("other"), (ContactKey.Email("a@example.com"), "c9"));

        var keys = await Index.ListKeysAsync(location, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(keys.Select(k => (k.Key, k.ContactId)), Is.EquivalentTo(new[]
            {
                (ContactKey.Email("a@example.com"), "c1"), (ContactKey.Phone("+15550001"), "c1"), (ContactKey.Email("b@example.com"), "c2"),
            }));
            Assert.That(keys.Select(k => k.UpdatedAt), Is.All.EqualTo(Clock.GetUtcNow()));
        }
    }

    [Test]
    public async Task Should_delete_only_the_exact_entries_written_before_the_cut()
    {
        var location = Unique("loc");
        await Upsert(location, (ContactKey.Email("old@example.com"), "c1"), (ContactKey.Email("kept@example.com"), "c2"));
        var cut = Clock.GetUtcNow() + TimeSpan.FromSeconds(1);
        Clock.Advance(TimeSpan.FromSeconds(2));
        await Upsert(location, (ContactKey.Email("fresh@example.com"), "c3"));

        var removed = 0;
        await InUnitOfWork(async uow => removed = await Index.DeleteKeysAsync(uow, location,
        [
            new(ContactKey.Email("old@example.com"), "c1"),
            new(ContactKey.Email("kept@example.com"), "not-its-contact"),
            new(ContactKey.Email("fresh@example.com"), "c3"),
        ], cut, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(removed, Is.EqualTo(1));
            Assert.That((await Index.ListKeysAsync(location, None)).Select(k => k.Key.Value), Is.EquivalentTo(new[] { "kept@example.com", "fresh@example.com" }));
        }
    }

    [Test]
    public async Task Should_forget_deleted_contacts_with_their_freshness_but_keep_those_written_since()
    {
        var location = Unique("loc");
        var at = Clock.GetUtcNow();
        await Upsert(location, (ContactKey.Email("gone@example.com"), "gone"), (ContactKey.Email("stays@example.com"), "stays"));
        await InUnitOfWork(async uow =>
        {
            await Index.TryAdvanceContactAsync(uow, location, "gone", at, None);
            await Index.TryAdvanceTagsAsync(uow, location, "gone", [new TagChange("vip", TagOperation.Add)], at, None);
            await Index.TryAdvanceContactAsync(uow, location, "stays", at, None);
        });
        var cut = Clock.GetUtcNow() + TimeSpan.FromSeconds(1);
        Clock.Advance(TimeSpan.FromSeconds(2));
        await Upsert(location, (ContactKey.Phone("+15550002"), "recreated"));

        await InUnitOfWork(uow => Index.DeleteContactsAsync(uow, location, ["gone", "recreated"], cut, None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await Index.ListKeysAsync(location, None)).Select(k => k.ContactId), Is.EquivalentTo(new[] { "stays", "recreated" }));
            Assert.That((await Index.ListContactVersionsAsync(location, None)).Select(v => v.ContactId), Is.EqualTo(new[] { "stays" }));
            Assert.That(await QueryRawAsync<long>("SELECT COUNT(*) FROM sync.contact_tag_versions WHERE location_id = @Location", new { Location = location }),
                Is.EqualTo(new[] { 0L }));
        }
    }

    [Test]
    public async Task Should_give_the_lease_to_one_owner_at_a_time()
    {
        var location = Unique("loc");

        var first = await Runs.TryAcquireAsync(location, "a", TimeSpan.FromMinutes(1), DateTimeOffset.MaxValue, None);
        var second = await Runs.TryAcquireAsync(location, "b", TimeSpan.FromMinutes(1), DateTimeOffset.MaxValue, None);
        Clock.Advance(TimeSpan.FromMinutes(2));
        var afterExpiry = await Runs.TryAcquireAsync(location, "b", TimeSpan.FromMinutes(1), DateTimeOffset.MaxValue, None);
        var renewedByFormer = await Runs.RenewAsync(location, "a", TimeSpan.FromMinutes(1), None);

        Assert.That((first, second, afterExpiry, renewedByFormer), Is.EqualTo((true, false, true, false)));
    }

    [Test]
    public async Task Should_record_the_outcome_and_not_be_due_again_before_the_interval()
    {
        var location = Unique("loc");
        await Runs.TryAcquireAsync(location, "a", TimeSpan.FromMinutes(1), DateTimeOffset.MaxValue, None);
        await Runs.FinishAsync(location, "a", new ReconcileCounts(10, 2, 1, 3), null, None);
        var finishedAt = Clock.GetUtcNow();
        Clock.Advance(TimeSpan.FromMinutes(5));

        var tooSoon = await Runs.TryAcquireAsync(location, "b", TimeSpan.FromMinutes(1), finishedAt - TimeSpan.FromSeconds(1), None);
        var run = await Runs.GetAsync(location, None);
        var due = await Runs.TryAcquireAsync(location, "b", TimeSpan.FromMinutes(1), finishedAt, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((tooSoon, due), Is.EqualTo((false, true)));
            Assert.That(run, Is.EqualTo(new ReconcileRun(location, null, null, finishedAt, finishedAt, 10, 2, 1, 3, null)));
        }
    }

    private Task Upsert(string location, params (ContactKey Key, string ContactId)[] entries) =>
        InUnitOfWork(uow => Index.UpsertKeysAsync(uow, location, entries.Select(e => new ContactKeyEntry(e.Key, e.ContactId)).ToList(), None));

    private async Task InUnitOfWork(Func<IUnitOfWork, Task> work)
    {
        await using var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None);
        await work(unitOfWork);
        await unitOfWork.CommitAsync(None);
    }
}

[TestFixture]
public sealed class When_reconciling_on_postgresql : Reconcile_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_reconciling_on_sql_server : Reconcile_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
