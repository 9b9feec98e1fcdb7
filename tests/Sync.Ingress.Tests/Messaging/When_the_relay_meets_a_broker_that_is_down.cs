using Npgsql;
using Sync.Contracts;
using Sync.Messaging.Outbox;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>
/// The relay's broker connection is cut (through a proxy) while rows wait: after the first batch fails the relay
/// claims nothing but a one-row probe now and then, so rows keep their attempts (retried every 0.1–0.5 s they would
/// burn dozens each); once the broker is back every row is published.
/// </summary>
[TestFixture]
public sealed class When_the_relay_meets_a_broker_that_is_down
{
    private const int Rows = 150;
    private OutboxRelayRig _rig = null!;
    private long _attemptsWhileDown;

    [OneTimeSetUp]
    public async Task Start()
    {
        // Batches of 100, so that the 150 rows are more than one batch.
        _rig = await OutboxRelayRig.StartAsync(throughProxy: true, new Dictionary<string, string?> { ["Sync:Outbox:BatchSize"] = "100" });
        await _rig.WaitForBusAsync();
        _rig.Broker.Disconnect();

        for (var i = 0; i < Rows; i++)
        {
            var message = new WebhookReceived("crm", $"evt-down-{i}", "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}");
            await _rig.Outbox.EnqueueAsync(OutboxSerializer.ForPublish(message, Guid.NewGuid(), DateTimeOffset.UtcNow), CancellationToken.None);
        }

        await Task.Delay(TimeSpan.FromSeconds(10));
        await using var connection = new NpgsqlConnection(_rig.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COALESCE(SUM(attempts), 0) FROM sync.outbox", connection);
        _attemptsWhileDown = Convert.ToInt64(await command.ExecuteScalarAsync());
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
    [Order(1)]
    public void Should_try_no_more_than_one_batch_and_a_few_probes_while_the_broker_is_down() =>
        Assert.That(_attemptsWhileDown, Is.InRange(1, 100 + 10));

    [Test]
    [Order(2)]
    public async Task Should_publish_every_row_once_the_broker_is_back()
    {
        _rig.Broker.Reconnect();
        await _rig.Queue.WaitForAsync(Rows, TimeSpan.FromSeconds(90));

        var queued = await _rig.Queue.DrainAsync();

        // A publish that timed out may still land, so a row can arrive twice (consumers drop the copy by its id).
        Assert.That(queued.Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(Rows));
    }
}
