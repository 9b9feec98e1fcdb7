namespace Sync.Admin.Tests.DeadLetters;

public sealed class When_exporting_DeadLetters
{
    private AdminTestDatabase _database = null!;
    private string _directory = null!;

    [OneTimeSetUp]
    public async Task Seed()
    {
        _database = await AdminTestDatabase.CreateAsync();
        _directory = Directory.CreateTempSubdirectory("sync-dlq-export").FullName;
        await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-1", "evt-1", DateTimeOffset.UtcNow));
        await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-2", "evt-2", DateTimeOffset.UtcNow));
    }

    [OneTimeTearDown]
    public async Task Cleanup()
    {
        Directory.Delete(_directory, recursive: true);
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Should_write_one_line_per_DeadLetter_with_emails_and_phones_masked_and_names_dropped()
    {
        var file = Path.Combine(_directory, "redacted.jsonl");

        var result = await _database.RunAsync("dlq", "export", "--out", file);

        var lines = await File.ReadAllLinesAsync(file);
        var all = string.Join('\n', lines);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
            Assert.That(lines, Has.Length.EqualTo(2));
            Assert.That(all, Does.Not.Contain("ada@example.com"));
            Assert.That(all, Does.Contain("a***@example.com"));
            Assert.That(all, Does.Not.Contain("555 010 0199"));
            Assert.That(all, Does.Contain("***99"));
            Assert.That(all, Does.Not.Contain("Lovelace"));
            Assert.That(all, Does.Not.Contain("Ada"));
        });
    }

    [Test]
    public async Task Should_keep_personal_data_when_asked()
    {
        var file = Path.Combine(_directory, "full.jsonl");

        var result = await _database.RunAsync("dlq", "export", "--out", file, "--include-pii");

        var all = await File.ReadAllTextAsync(file);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
            Assert.That(all, Does.Contain("ada@example.com"));
            Assert.That(all, Does.Contain("Lovelace"));
        });
    }
}
