using System.Diagnostics;
using Sync.Storage;

namespace Sync.Admin.Tests.DeadLetters;

public sealed class When_replaying_a_DeadLetter_group_at_a_rate
{
    private const int GroupSize = 300;
    private AdminTestDatabase _database = null!;
    private string _group = null!;
    private Guid _other;
    private CliResult _result = null!;
    private TimeSpan _elapsed;

    [OneTimeSetUp]
    public async Task SeedAndReplay()
    {
        _database = await AdminTestDatabase.CreateAsync();
        var t0 = DateTimeOffset.UtcNow.AddHours(-1);
        Guid first = default;
        for (var i = 0; i < GroupSize; i++)
        {
            var id = await _database.AddAsync(DeadLetterSeed.WebhookFailure($"loc-{i % 7}", $"evt-{i}", t0.AddSeconds(i), faultMessage: $"Contact {1000 + i} refused: email or phone is required"));
            first = i == 0 ? id : first;
        }

        _other = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-x", "evt-other", t0, faultMessage: "token revoked", classification: "authentication"));
        _group = (await _database.DeadLetters().GetAsync(first, CancellationToken.None))!.Fingerprint;

        var stopwatch = Stopwatch.StartNew();
        _result = await _database.RunAsync("dlq", "replay", "--group", _group, "--rate", "100", "--yes", "--json");
        _elapsed = stopwatch.Elapsed;
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_succeed() => Assert.That(_result.ExitCode, Is.Zero, _result.AllOutput);

    [Test]
    public void Should_take_at_least_as_long_as_the_rate_allows() => Assert.That(_elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(3)));

    [Test]
    public async Task Should_enqueue_one_outbox_row_per_dead_letter_of_the_group()
    {
        var rows = await _database.OutboxRowsAsync();
        Assert.Multiple(() =>
        {
            Assert.That(rows, Has.Count.EqualTo(GroupSize));
            Assert.That(rows.Select(r => r.MessageId).Distinct().Count(), Is.EqualTo(GroupSize));
        });
    }

    [Test]
    public async Task Should_mark_the_whole_group_replayed_and_leave_the_other_group_alone()
    {
        var replayed = await _database.DeadLetters().QueryAsync(new DeadLetterFilter { Fingerprint = _group, Status = DeadLetterStatus.Replayed }, CancellationToken.None);
        var other = await _database.DeadLetters().GetAsync(_other, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(replayed.Total, Is.EqualTo(GroupSize));
            Assert.That(other!.Status, Is.EqualTo(DeadLetterStatus.New));
        });
    }
}
