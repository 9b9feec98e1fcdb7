using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Sync.Contracts;
using Sync.Messaging.Outbox;
using Sync.Testing;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>
/// Webhooks spilled at the same moment are written to the outbox in group commits (several rows per transaction),
/// every row exactly once; a row the database refuses fails only its own caller, not the others of its batch.
/// </summary>
[TestFixture]
public sealed class When_spilled_webhooks_are_written_together
{
    private const int Together = 200;
    private RabbitMqTestVirtualHost _vhost = null!;
    private PostgresTestDatabase _database = null!;
    private IHost _host = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _vhost = await RabbitMqTestVirtualHost.CreateAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        _host = await OutboxHost.StartAsync(_vhost, _database, relay: false);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await OutboxHost.StopAsync(_host);
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }

    // Owned by the host, which disposes it.
    private OutboxSpillWriter Writer => _host.Services.GetRequiredService<OutboxSpillWriter>();

    [SetUp]
    public Task Empty_the_outbox() => ScalarAsync<long>("WITH d AS (DELETE FROM sync.outbox RETURNING 1) SELECT count(*) FROM d");

    [Test]
    public async Task Should_store_each_row_once_in_fewer_transactions_than_rows()
    {
        var rows = Enumerable.Range(0, Together).Select(i => Row($"together-{i}", "loc-1")).ToList();

        await Task.WhenAll(rows.Select(r => Writer.WriteAsync(r, CancellationToken.None)));

        var stored = await ScalarAsync<long>("SELECT count(*) FROM sync.outbox");
        var distinct = await ScalarAsync<long>("SELECT count(DISTINCT message_id) FROM sync.outbox");
        // Every row of one statement has its transaction's created_at: fewer distinct values than rows means rows shared commits.
        var commits = await ScalarAsync<long>("SELECT count(DISTINCT created_at) FROM sync.outbox");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored, Is.EqualTo(Together));
            Assert.That(distinct, Is.EqualTo(Together));
            Assert.That(commits, Is.LessThan(Together / 2));
        }
    }

    [Test]
    public async Task Should_fail_only_the_row_the_database_refuses()
    {
        // location_id holds at most 64 characters: this row's insert fails, and with it the statement of its batch.
        var rows = Enumerable.Range(0, Together).Select(i => Row($"mixed-{i}", i == Together / 2 ? new string('x', 100) : "loc-1")).ToList();

        var writes = rows.Select(r => Writer.WriteAsync(r, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(writes);
        }
        catch (Exception)
        {
            // Looked at one by one below.
        }

        var stored = await ScalarAsync<long>("SELECT count(*) FROM sync.outbox");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(writes.Count(w => w.IsFaulted), Is.EqualTo(1));
            Assert.That(writes[Together / 2].IsFaulted, Is.True);
            Assert.That(stored, Is.EqualTo(Together - 1));
        }
    }

    [Test]
    public void Should_not_write_a_row_whose_caller_gave_up_before_it_was_queued()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.That(() => Writer.WriteAsync(Row("given-up", "loc-1"), cancelled.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    private static Sync.Storage.OutboxMessage Row(string eventId, string locationId)
    {
        var message = new WebhookReceived("crm", eventId, "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}");
        return OutboxSerializer.ForSend(message, "webhook-received", Guid.NewGuid(), DateTimeOffset.UtcNow) with { LocationId = locationId };
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
