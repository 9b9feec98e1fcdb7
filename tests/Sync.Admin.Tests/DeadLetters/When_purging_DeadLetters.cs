using Sync.Storage;

namespace Sync.Admin.Tests.DeadLetters;

public sealed class When_purging_DeadLetters
{
    private AdminTestDatabase _database = null!;
    private Guid _oldDiscarded;
    private Guid _oldNew;
    private Guid _recentDiscarded;
    private CliResult _result = null!;

    [OneTimeSetUp]
    public async Task SeedAndPurge()
    {
        _database = await AdminTestDatabase.CreateAsync();
        var now = DateTimeOffset.UtcNow;
        _oldDiscarded = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-1", "evt-old", now.AddDays(-31)));
        _oldNew = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-1", "evt-old-new", now.AddDays(-45)));
        _recentDiscarded = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-1", "evt-recent", now.AddDays(-29)));
        await _database.DeadLetters().DiscardAsync(_oldDiscarded, "ops", null, CancellationToken.None);
        await _database.DeadLetters().DiscardAsync(_recentDiscarded, "ops", null, CancellationToken.None);

        _result = await _database.RunAsync("dlq", "purge", "--older-than", "30d", "--yes");
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_report_how_many_it_purged()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_result.ExitCode, Is.Zero, _result.AllOutput);
            Assert.That(_result.Stdout, Does.StartWith("Purged 1 dead letter(s)"));
        });
    }

    [Test]
    public async Task Should_remove_only_the_resolved_DeadLetters_older_than_asked()
    {
        var remaining = (await _database.DeadLetters().QueryAsync(new DeadLetterFilter(), CancellationToken.None)).Items.Select(d => d.Id);
        Assert.That(remaining, Is.EquivalentTo(new[] { _oldNew, _recentDiscarded }));
    }

    [Test]
    public async Task Should_refuse_without_confirmation_when_not_at_a_terminal()
    {
        var refused = await _database.RunAsync("dlq", "purge", "--older-than", "1d", "--include-new");

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(refused.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(refused.Stderr, Does.Contain("Add --yes to confirm"));
            Assert.That((await _database.DeadLetters().QueryAsync(new DeadLetterFilter(), CancellationToken.None)).Total, Is.EqualTo(2));
        });
    }
}
