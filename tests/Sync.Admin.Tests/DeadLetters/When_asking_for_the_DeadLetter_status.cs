using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Tests.DeadLetters;

public sealed class When_asking_for_the_DeadLetter_status
{
    private AdminTestDatabase _database = null!;
    private JsonElement _status;
    private CliResult _result = null!;

    [OneTimeSetUp]
    public async Task SeedAndAsk()
    {
        _database = await AdminTestDatabase.CreateAsync();
        await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-1", "evt-1", DateTimeOffset.UtcNow));
        await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-2", "evt-2", DateTimeOffset.UtcNow));
        await _database.Storage.GetRequiredService<ICircuitStateStore>().UpsertAsync(
            new CircuitState("hoopai-api", "worker-a/42", "open", "5 transient failures in a row", DateTimeOffset.UtcNow), CancellationToken.None);
        await _database.Storage.GetRequiredService<IOutboxStore>().EnqueueAsync(
            new OutboxMessage(Guid.NewGuid(), "Sync.Contracts.WebhookReceived", "publish", "{}", new Dictionary<string, string>(), DateTimeOffset.UtcNow),
            CancellationToken.None);

        // A virtual host that does not exist: the queues cannot be read, the rest of the status still can.
        var settings = new Dictionary<string, string?>(_database.Settings) { ["Sync:RabbitMq:VirtualHost"] = $"missing-{Guid.NewGuid():N}" };
        _result = await AdminTestDatabase.RunWithSettingsAsync(settings, "", "dlq", "status", "--json");
        Assert.That(_result.ExitCode, Is.Zero, _result.AllOutput);
        _status = JsonDocument.Parse(_result.Stdout).RootElement.Clone();
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_succeed_even_when_the_broker_cannot_be_read()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_result.ExitCode, Is.Zero, _result.AllOutput);
            Assert.That(_status.GetProperty("brokerError").GetString(), Does.Contain("unreachable"));
        });
    }

    [Test]
    public void Should_show_the_outbox_backlog() => Assert.That(_status.GetProperty("outboxPending").GetInt64(), Is.EqualTo(1));

    [Test]
    public void Should_show_the_waiting_DeadLetters_per_group() =>
        Assert.That(_status.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("count").GetInt64()), Is.EqualTo(new[] { 2L }));

    [Test]
    public void Should_show_the_circuits_as_reported()
    {
        var circuit = _status.GetProperty("circuits").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(circuit.GetProperty("circuit").GetString(), Is.EqualTo("hoopai-api"));
            Assert.That(circuit.GetProperty("state").GetString(), Is.EqualTo("open"));
        });
    }
}
