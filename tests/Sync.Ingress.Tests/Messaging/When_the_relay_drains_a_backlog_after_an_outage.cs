using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Sync.Contracts;
using Sync.Ingress.Tests.Support;
using Sync.Messaging.Outbox;
using Sync.Storage;
using Sync.Testing;

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
    private RabbitMqTestVirtualHost _vhost = null!;
    private PostgresTestDatabase _database = null!;
    private TcpProxy _broker = null!;
    private WebhookQueue _queue = null!;
    private IHost _host = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _vhost = await RabbitMqTestVirtualHost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        _queue = await WebhookQueue.BindAsync(_vhost);
        _broker = TcpProxy.Start(_vhost.Host, _vhost.Port);
        _host = await OutboxHost.StartAsync(_vhost, _database, relay: true, brokerPort: _broker.Port, new Dictionary<string, string?>
        {
            ["Sync:Outbox:RelayConcurrency"] = "16",
            ["Sync:Outbox:RetryBaseDelay"] = "00:00:01",
            ["Sync:Outbox:RetryMaxDelay"] = "00:00:02",
        });
        var bus = _host.Services.GetRequiredService<MassTransit.IBusControl>();
        for (var waited = 0; bus.CheckHealth().Status != MassTransit.BusHealthStatus.Healthy; waited++)
        {
            Assert.That(waited, Is.LessThan(600), "the bus did not connect");
            await Task.Delay(100);
        }

        var outbox = _host.Services.GetRequiredService<IOutboxStore>();
        await EnqueueAsync(outbox, "busy", Busy);
        Assert.That(await _queue.WaitForAsync(Busy, TimeSpan.FromSeconds(90)), Is.GreaterThanOrEqualTo(Busy), "the busy rows were not relayed");

        _broker.Disconnect();
        await EnqueueAsync(outbox, "backlog", Backlog);
        await Task.Delay(TimeSpan.FromSeconds(3));
        _broker.Reconnect();
        await _queue.WaitForAsync(Busy + Backlog, TimeSpan.FromSeconds(90));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await OutboxHost.StopAsync(_host);
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        if (_queue is not null)
        {
            await _queue.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_publish_every_row_of_the_backlog()
    {
        var queued = await _queue.DrainAsync();

        // A publish that timed out may still land, so a row can arrive twice (consumers drop the copy by its id).
        Assert.That(queued.Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(Busy + Backlog));
    }

    [Test]
    public async Task Should_have_every_publish_after_the_outage_confirmed()
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
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
