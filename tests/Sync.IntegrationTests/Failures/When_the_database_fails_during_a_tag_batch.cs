using Npgsql;
using Sync.Emitter;
using Sync.IntegrationTests.Worker;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// A failure that is not an API answer (here: the guard's table locked, so the batch's statements time out) sends the
/// batch back for a later attempt instead of dead-lettering it; once the database answers, every tag is applied.
/// </summary>
[TestFixture]
public sealed class When_the_database_fails_during_a_tag_batch
{
    private const string Location = "FailuresDbTimeout001";

    [Test]
    public async Task Should_redeliver_the_batch_and_apply_it_later()
    {
        await using var harness = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Sync:Storage:CommandTimeoutSeconds"] = "2" });
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        await harness.InstallPrivateAsync(Location);
        var at = new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            await harness.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-db-{i}", at, Location, new SourceContact { Email = $"db{i}@example.com" }, null));
        }

        Assert.That(await WorkerHarness.EventuallyAsync(() => Task.FromResult(harness.ContactsOf(Location).Count == 5), TimeSpan.FromSeconds(30)), Is.True);

        // Hold the guard's table for a while: the batch's statements wait, and the worker's 2 s command timeout fails them.
        var builder = new NpgsqlConnectionStringBuilder(harness.Database.ConnectionString);
        await using (var blocker = new NpgsqlConnection(builder.ConnectionString))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE sync.contact_tag_versions IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            for (var i = 0; i < 5; i++)
            {
                await harness.PublishAsync(new SourceEvent(SourceEventTypes.TagsAdded, $"evt-db-tag-{i}", at.AddMinutes(1), Location,
                    new SourceContact { Email = $"db{i}@example.com" }, ["locked"]));
            }

            await Task.Delay(TimeSpan.FromSeconds(8));
            await transaction.RollbackAsync();
        }

        var applied = await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(harness.ContactsOf(Location).Count(c => c.Tags.Contains("locked")) == 5), TimeSpan.FromSeconds(90));

        Assert.Multiple(async () =>
        {
            Assert.That(applied, Is.True, "every tag applied once the database answered");
            Assert.That(await queues.CountAsync("change-contact-tags_error"), Is.Zero);
        });
    }
}
