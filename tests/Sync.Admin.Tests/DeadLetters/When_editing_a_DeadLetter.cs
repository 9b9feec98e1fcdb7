using Sync.Storage;

namespace Sync.Admin.Tests.DeadLetters;

public sealed class When_editing_a_DeadLetter
{
    private AdminTestDatabase _database = null!;
    private string _directory = null!;

    [OneTimeSetUp]
    public async Task Create()
    {
        _database = await AdminTestDatabase.CreateAsync();
        _directory = Directory.CreateTempSubdirectory("sync-dlq-edit").FullName;
    }

    [OneTimeTearDown]
    public async Task Cleanup()
    {
        Directory.Delete(_directory, recursive: true);
        await _database.DisposeAsync();
    }

    [TestCase("""{"source":"crm","eventId":"evt-9","eventType":"contact.updated","locationId":"loc-1","occurredAt":"2026-12-01T08:00:00Z","receivedAt":"2026-12-01T08:00:00Z"}""",
        "payload", TestName = "Should_refuse_an_edited_DeadLetter_missing_a_required_field")]
    [TestCase("""{"source":"crm","eventId":"evt-9","eventType":"contact.updated","locationId":"loc-1","occurredAt":"yesterday","receivedAt":"2026-12-01T08:00:00Z","payload":"{}"}""",
        "occurredAt", TestName = "Should_refuse_an_edited_DeadLetter_with_a_wrongly_typed_field")]
    [TestCase("""{"source":"crm","eventId":"evt-9","eventTyp":"contact.updated","eventType":"contact.updated","locationId":"loc-1","occurredAt":"2026-12-01T08:00:00Z","receivedAt":"2026-12-01T08:00:00Z","payload":"{}"}""",
        "eventTyp", TestName = "Should_refuse_an_edited_DeadLetter_with_an_unknown_field")]
    [TestCase("""{"source":"crm", """, "WebhookReceived", TestName = "Should_refuse_an_edited_DeadLetter_that_is_not_json")]
    public async Task Should_refuse_an_invalid_body_with_a_clear_message_and_change_nothing(string body, string named)
    {
        var id = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-1", $"evt-{Guid.NewGuid():N}", DateTimeOffset.UtcNow));
        var file = Path.Combine(_directory, $"{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, body);
        var outboxBefore = (await _database.OutboxRowsAsync()).Count;

        var result = await _database.RunAsync("dlq", "edit", id.ToString(), "--file", file);

        var stored = await _database.DeadLetters().GetAsync(id, CancellationToken.None);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError), result.AllOutput);
            Assert.That(result.Stderr, Does.StartWith("error: the edited body is not a valid WebhookReceived"));
            Assert.That(result.Stderr, Does.Contain(named));
            Assert.That(stored!.Status, Is.EqualTo(DeadLetterStatus.New));
            Assert.That(await _database.OutboxRowsAsync(), Has.Count.EqualTo(outboxBefore));
        });
    }

    [Test]
    public async Task Should_replay_a_valid_edit_as_a_new_message_and_keep_the_original_marked()
    {
        var failure = DeadLetterSeed.WebhookFailure("loc-1", "evt-edit", DateTimeOffset.UtcNow);
        var id = await _database.AddAsync(failure);
        var file = Path.Combine(_directory, "valid.json");
        await File.WriteAllTextAsync(file, """
            {"source":"crm","eventId":"evt-edit","eventType":"contact.updated","locationId":"loc-1","occurredAt":"2026-12-01T08:00:00Z",
             "receivedAt":"2026-12-01T08:00:00Z","payload":"{\"contact\":{\"email\":\"ada@example.com\"}}"}
            """);

        var result = await _database.RunAsync("dlq", "edit", id.ToString(), "--file", file, "--by", "ops");

        var row = (await _database.OutboxRowsAsync()).Single(r => r.Headers.TryGetValue("Sync-Replay-Of", out var of) && of == id.ToString());
        var stored = await _database.DeadLetters().GetAsync(id, CancellationToken.None);
        var trail = await _database.DeadLetters().GetAuditTrailAsync(id, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
            Assert.That(row.MessageId.ToString(), Is.Not.EqualTo(failure.MessageId));
            Assert.That(row.Body, Does.Contain("ada@example.com"));
            Assert.That(stored!.Body, Is.EqualTo(failure.Body));
            Assert.That(stored.Status, Is.EqualTo(DeadLetterStatus.Replayed));
            Assert.That(trail.Single().Action, Is.EqualTo(DeadLetterAction.Edited));
        });
    }
}
