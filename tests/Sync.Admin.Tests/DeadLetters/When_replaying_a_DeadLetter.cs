using Sync.Storage;

namespace Sync.Admin.Tests.DeadLetters;

public sealed class When_replaying_a_DeadLetter
{
    private AdminTestDatabase _database = null!;
    private Guid _id;
    private DeadLetterFailure _failure = null!;
    private CliResult _result = null!;

    [OneTimeSetUp]
    public async Task SeedAndReplay()
    {
        _database = await AdminTestDatabase.CreateAsync();
        _failure = DeadLetterSeed.WebhookFailure("loc-replay", "evt-1", DateTimeOffset.UtcNow.AddMinutes(-5));
        _id = await _database.AddAsync(_failure);
        _result = await _database.RunAsync("dlq", "replay", _id.ToString(), "--by", "ops@example.com");
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_succeed() => Assert.That(_result.ExitCode, Is.Zero, _result.AllOutput);

    [Test]
    public async Task Should_enqueue_exactly_one_outbox_row_to_the_queue_it_failed_on_with_the_same_message_id()
    {
        var rows = await _database.OutboxRowsAsync();
        Assert.That(rows.Select(r => (r.MessageId.ToString(), r.Destination, r.MessageType)),
            Is.EqualTo(new[] { (_failure.MessageId, $"exchange:{DeadLetterSeed.Queue}?type=fanout", "Sync.Contracts.WebhookReceived") }));
    }

    [Test]
    public async Task Should_send_the_original_message_out_of_its_envelope()
    {
        var row = (await _database.OutboxRowsAsync()).Single();
        using var body = System.Text.Json.JsonDocument.Parse(row.Body);
        Assert.Multiple(() =>
        {
            Assert.That(body.RootElement.GetProperty("eventId").GetString(), Is.EqualTo("evt-1"));
            Assert.That(body.RootElement.TryGetProperty("messageType", out _), Is.False);
        });
    }

    [Test]
    public async Task Should_strip_the_redelivery_counters_and_fault_headers_and_link_the_replay()
    {
        var headers = (await _database.OutboxRowsAsync()).Single().Headers;
        Assert.Multiple(() =>
        {
            Assert.That(headers.Keys, Is.EquivalentTo(new[] { "Sync-Replay-Of", "Sync-Location-Id", "traceparent" }));
            Assert.That(headers["Sync-Replay-Of"], Is.EqualTo(_id.ToString()));
        });
    }

    [Test]
    public async Task Should_mark_it_replayed_by_whom_the_operator_said()
    {
        var stored = await _database.DeadLetters().GetAsync(_id, CancellationToken.None);
        var trail = await _database.DeadLetters().GetAuditTrailAsync(_id, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(stored!.Status, Is.EqualTo(DeadLetterStatus.Replayed));
            Assert.That(trail.Select(t => (t.Action, t.Actor)), Is.EqualTo(new[] { (DeadLetterAction.Replayed, "ops@example.com") }));
        });
    }

    [Test]
    public async Task Should_not_replay_it_a_second_time()
    {
        var again = await _database.RunAsync("dlq", "replay", _id.ToString());

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(again.ExitCode, Is.Zero, again.AllOutput);
            Assert.That(again.Stdout, Does.Contain("already replayed"));
            Assert.That(await _database.OutboxRowsAsync(), Has.Count.EqualTo(1));
        });
    }
}

public sealed class When_replaying_a_DeadLetter_of_an_unknown_queue
{
    [Test]
    public async Task Should_refuse_the_DeadLetter_replay_and_say_why()
    {
        await using var database = await AdminTestDatabase.CreateAsync();
        var id = await database.AddAsync(DeadLetterSeed.WebhookFailure("loc-1", "evt-1", DateTimeOffset.UtcNow) with { SourceQueue = "retired-queue" });

        var result = await database.RunAsync("dlq", "replay", id.ToString());

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError), result.AllOutput);
            Assert.That(result.Stdout, Does.Contain("retired-queue").And.Contain("is not one of Sync").And.Contain("\"refused\""));
            Assert.That(await database.OutboxRowsAsync(), Is.Empty);
            Assert.That((await database.DeadLetters().GetAsync(id, CancellationToken.None))!.Status, Is.EqualTo(Sync.Storage.DeadLetterStatus.New));
        });
    }
}
