using Npgsql;
using Sync.Contracts;
using Sync.Messaging.Outbox;
using Sync.Storage;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>
/// A relay that has been busy is cut off from the broker (through a proxy) while a backlog builds, as the ingress's is
/// when it spills; once the broker is back its lanes publish the backlog at once, and every one of those publishes must
/// be confirmed. A publisher that left its connection to the client's automatic recovery lost the confirms of a wave of
/// them here (each timed out after the publish timeout and was tried again a second later).
/// </summary>
[TestFixture]
public sealed class When_the_relay_drains_a_backlog_after_an_outage
{
    private const int Busy = 2000;
    private const int Backlog = 3000;
    private static readonly string Payload = $$"""{"type":"ContactCreate","notes":"{{new string('x', 900)}}"}""";
    private OutboxRelayRig _rig = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _rig = await OutboxRelayRig.StartAsync(throughProxy: true, new Dictionary<string, string?>
        {
            ["Sync:Outbox:RelayConcurrency"] = "16",
            ["Sync:Outbox:BatchSize"] = "100",
            ["Sync:Outbox:RetryBaseDelay"] = "00:00:01",
            ["Sync:Outbox:RetryMaxDelay"] = "00:00:02",
        });
        await _rig.WaitForBusAsync();

        await EnqueueAsync(_rig.Outbox, "busy", Busy);
        Assert.That(await _rig.Queue.WaitForAsync(Busy, TimeSpan.FromSeconds(90)), Is.GreaterThanOrEqualTo(Busy), "the busy rows were not relayed");

        _rig.Broker.Disconnect();
        await EnqueueAsync(_rig.Outbox, "backlog", Backlog);
        await Task.Delay(TimeSpan.FromSeconds(3));
        _rig.Broker.Reconnect();
        await _rig.Queue.WaitForAsync(Busy + Backlog, TimeSpan.FromSeconds(90));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_publish_every_row_of_the_backlog()
    {
        var queued = await _rig.Queue.DrainAsync();

        // A publish that timed out may still land, so a row can arrive twice (consumers drop the copy by its id).
        Assert.That(queued.Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(Busy + Backlog));
    }

    [Test]
    public async Task Should_have_every_publish_after_the_outage_confirmed()
    {
        await using var connection = new NpgsqlConnection(_rig.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT COUNT(*) FROM sync.outbox WHERE last_error LIKE '%did not confirm%'", connection);

        // While the broker was unreachable, probes failed at once (the connection is down), never by waiting for a confirm.
        Assert.That(Convert.ToInt64(await command.ExecuteScalarAsync()), Is.Zero);
    }

    private static Task EnqueueAsync(IOutboxStore outbox, string phase, int count) =>
        Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, token) =>
        {
            var message = new WebhookReceived("crm", $"evt-{phase}-{i}", "contact.upserted", $"loc-{i % 4}", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, Payload);
            await outbox.EnqueueAsync(OutboxSerializer.ForPublish(message, Guid.NewGuid(), DateTimeOffset.UtcNow), token);
        });
}
