using Sync.Contracts;
using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Concurrency;

/// <summary>
/// What every provider guarantees when many processes use the same rows at once. Each "process" is a task with its
/// own connections; a barrier lines them up so that they really collide.
/// </summary>
public abstract class Concurrency_contract : StorageFixture
{
    [Test]
    public async Task Should_let_four_relays_claim_ten_thousand_messages_each_exactly_once()
    {
        const int total = 10_000;
        await ExecuteRawAsync("DELETE FROM sync.outbox");
        var outbox = Get<IOutboxStore>();
        var now = Clock.GetUtcNow();
        await using (var unitOfWork = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            var messages = Enumerable.Range(0, total)
                .Select(i => new OutboxMessage(Guid.NewGuid(), "Sync.Contracts.WebhookReceived", "publish", $$"""{"n":{{i}}}""", new Dictionary<string, string>(), now))
                .ToList();
            await outbox.EnqueueAsync(unitOfWork, messages, None);
            await unitOfWork.CommitAsync(None);
        }

        var start = new StartLine(4);
        var relays = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            var claimed = new List<long>();
            await start.ArriveAndWaitAsync();
            while (true)
            {
                await using var batch = await outbox.ClaimAsync(100, TimeSpan.FromMinutes(5), None);
                if (batch.Messages.Count == 0)
                {
                    return claimed;
                }

                claimed.AddRange(batch.Messages.Select(m => m.Id));
                await batch.CompleteAsync(batch.Messages.Select(m => m.Id).ToList(), [], None);
            }
        })).ToList();
        var claims = await Task.WhenAll(relays);

        await TestContext.Out.WriteLineAsync($"claims per relay: {string.Join(", ", claims.Select(c => c.Count))}");
        var all = claims.SelectMany(c => c).ToList();
        var unsent = await QueryRawAsync<int>("SELECT COUNT(*) FROM sync.outbox WHERE sent_at IS NULL");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(all, Is.Unique, "a message was claimed twice");
            Assert.That(all, Has.Count.EqualTo(total));
            Assert.That(unsent.Single(), Is.Zero);
        }
    }

    [Test]
    public async Task Should_let_exactly_one_of_sixteen_concurrent_consumers_mark_a_message_new()
    {
        var inbox = Get<IInboxStore>();
        var factory = Get<IUnitOfWorkFactory>();
        for (var round = 0; round < 3; round++)
        {
            var consumer = Unique("consumer");
            var messageId = Guid.NewGuid();
            var start = new StartLine(16);
            var attempts = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
            {
                await using var unitOfWork = await factory.BeginAsync(None);
                await start.ArriveAndWaitAsync();
                var isNew = await inbox.TryMarkProcessedAsync(unitOfWork, consumer, messageId, None);
                await unitOfWork.CommitAsync(None);
                return isNew;
            })).ToList();

            var results = await Task.WhenAll(attempts);

            Assert.That(results.Count(r => r), Is.EqualTo(1), $"round {round}");
        }
    }

    [Test]
    public async Task Should_upsert_overlapping_keys_in_any_order_without_deadlock_or_duplicates()
    {
        var index = Get<IContactIndexStore>();
        var factory = Get<IUnitOfWorkFactory>();
        var location = Unique("loc");
        var keys = Enumerable.Range(0, 40).Select(i => ContactKey.Email($"person{i}@example.com")).ToList();
        const int writers = 12;
        var start = new StartLine(writers);

        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            await start.ArriveAndWaitAsync();
            for (var round = 0; round < 5; round++)
            {
                // Each writer takes a different overlapping slice, in its own shuffled order.
                var slice = keys.Skip(random.Next(0, 20)).Take(20).OrderBy(_ => random.Next()).ToList();
                await using var unitOfWork = await factory.BeginAsync(None);
                await index.UpsertKeysAsync(unitOfWork, location, slice.Select(k => new ContactKeyEntry(k, $"contact-{w}")).ToList(), None);
                await unitOfWork.CommitAsync(None);
            }
        })).ToList();
        await Task.WhenAll(tasks);

        var rows = await QueryRawAsync<string>("SELECT key_value FROM sync.contact_keys WHERE location_id = @Location", new { Location = location });
        var found = await index.FindAsync(location, keys, None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(rows, Is.Unique);
            Assert.That(found.Select(f => f.ContactId), Is.All.Match("^contact-([0-9]|1[01])$"));
            Assert.That(found, Has.Count.EqualTo(rows.Count));
        }
    }

    [Test]
    public async Task Should_keep_the_newest_time_when_events_of_one_contact_race()
    {
        var index = Get<IContactIndexStore>();
        var factory = Get<IUnitOfWorkFactory>();
        var location = Unique("loc");
        var t0 = Clock.GetUtcNow();
        var times = Enumerable.Range(0, 16).Select(i => t0.AddSeconds(i)).OrderBy(_ => Random.Shared.Next()).ToList();
        var start = new StartLine(times.Count);

        var tasks = times.Select(time => Task.Run(async () =>
        {
            await using var unitOfWork = await factory.BeginAsync(None);
            await start.ArriveAndWaitAsync();
            await index.TryAdvanceContactAsync(unitOfWork, location, "contact-1", time, None);
            await index.TryAdvanceTagsAsync(unitOfWork, location, "contact-1", [new TagChange("vip", TagOperation.Add)], time, None);
            await unitOfWork.CommitAsync(None);
        })).ToList();
        await Task.WhenAll(tasks);

        await using var check = await factory.BeginAsync(None);
        var olderThanNewest = await index.TryAdvanceContactAsync(check, location, "contact-1", t0.AddSeconds(14), None);
        var newest = await index.TryAdvanceContactAsync(check, location, "contact-1", t0.AddSeconds(15), None);
        var olderTag = await index.TryAdvanceTagsAsync(check, location, "contact-1", [new TagChange("vip", TagOperation.Remove)], t0.AddSeconds(14), None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(olderThanNewest, Is.False);
            Assert.That(newest, Is.True);
            Assert.That(olderTag, Is.Empty);
        }
    }

    [Test]
    public async Task Should_never_grant_more_than_the_limit_to_concurrent_takers()
    {
        var rateLimits = Get<IRateLimitStore>();
        var location = Unique("loc");
        const int takers = 8;
        var start = new StartLine(takers);

        var tasks = Enumerable.Range(0, takers).Select(_ => Task.Run(async () =>
        {
            await start.ArriveAndWaitAsync();
            var granted = 0;
            for (var i = 0; i < 20; i++)
            {
                if ((await rateLimits.TryTakeAsync("app", location, 1, 50, TimeSpan.FromMinutes(1), None)).Granted)
                {
                    granted++;
                }
            }

            return granted;
        })).ToList();
        var grants = await Task.WhenAll(tasks);

        Assert.That(grants.Sum(), Is.EqualTo(50));
    }

    [Test]
    public async Task Should_give_a_refresh_lease_to_exactly_one_of_many_racing_workers()
    {
        var installations = Get<IInstallationStore>();
        var location = Unique("loc");
        await installations.SaveAsync(
            new Installation(location, null, AuthMode.OAuth, InstallationStatus.Active, "access", "refresh", Clock.GetUtcNow().AddHours(1), Clock.GetUtcNow()), None);
        const int workers = 8;
        var start = new StartLine(workers);

        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            await start.ArriveAndWaitAsync();
            return await installations.TryAcquireRefreshLeaseAsync(location, $"worker-{w}", TimeSpan.FromMinutes(1), None);
        })).ToList();
        var results = await Task.WhenAll(tasks);

        Assert.That(results.Count(r => r), Is.EqualTo(1));
    }
}

[TestFixture]
public sealed class When_processes_race_on_postgresql : Concurrency_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_processes_race_on_sql_server : Concurrency_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
