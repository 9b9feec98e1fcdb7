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
/// The relay's broker connection is cut (through a proxy) while rows wait: after the first batch fails the relay
/// claims nothing but a one-row probe now and then, so rows keep their attempts (retried every 0.1–0.5 s they would
/// burn dozens each); once the broker is back every row is published.
/// </summary>
[TestFixture]
public sealed class When_the_relay_meets_a_broker_that_is_down
{
    private const int Rows = 150;
    private RabbitMqTestVirtualHost _vhost = null!;
    private PostgresTestDatabase _database = null!;
    private TcpProxy _broker = null!;
    private WebhookQueue _queue = null!;
    private IHost _host = null!;
    private long _attemptsWhileDown;

    [OneTimeSetUp]
    public async Task Start()
    {
        _vhost = await RabbitMqTestVirtualHost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        _queue = await WebhookQueue.BindAsync(_vhost);
        _broker = TcpProxy.Start(_vhost.Host, _vhost.Port);
        _host = await OutboxHost.StartAsync(_vhost, _database, relay: true, brokerPort: _broker.Port);
        var bus = _host.Services.GetRequiredService<MassTransit.IBusControl>();
        for (var waited = 0; bus.CheckHealth().Status != MassTransit.BusHealthStatus.Healthy; waited++)
        {
            Assert.That(waited, Is.LessThan(600), "the bus did not connect");
            await Task.Delay(100);
        }

        _broker.Disconnect();

        var outbox = _host.Services.GetRequiredService<IOutboxStore>();
        for (var i = 0; i < Rows; i++)
        {
            var message = new WebhookReceived("crm", $"evt-down-{i}", "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}");
            await outbox.EnqueueAsync(OutboxSerializer.ForPublish(message, Guid.NewGuid(), DateTimeOffset.UtcNow), CancellationToken.None);
        }

        await Task.Delay(TimeSpan.FromSeconds(10));
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT COALESCE(SUM(attempts), 0) FROM sync.outbox", connection);
        _attemptsWhileDown = Convert.ToInt64(await command.ExecuteScalarAsync());
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
    [Order(1)]
    public void Should_try_no_more_than_one_batch_and_a_few_probes_while_the_broker_is_down() =>
        Assert.That(_attemptsWhileDown, Is.InRange(1, 100 + 10));

    [Test]
    [Order(2)]
    public async Task Should_publish_every_row_once_the_broker_is_back()
    {
        _broker.Reconnect();
        await _queue.WaitForAsync(Rows, TimeSpan.FromSeconds(90));

        var queued = await _queue.DrainAsync();

        // A publish that timed out may still land, so a row can arrive twice (consumers drop the copy by its id).
        Assert.That(queued.Select(m => m.MessageId).Distinct().Count(), Is.EqualTo(Rows));
    }
}
