using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

[TestFixture]
public sealed class When_the_daily_limit_is_used_up
{
    private const string Location = "DailyLimit0000000001";
    private const int DailyLimit = 50;
    private const int Events = 80;
    private WorkerHarness _worker = null!;
    private bool _applied;

    [OneTimeSetUp]
    public async Task Apply_more_events_than_one_daily_window_allows()
    {
        // A "day" of 20 s on both sides: the sandbox's budget resets then, and the worker knows when it does.
        _worker = await WorkerHarness.StartAsync(
            new SandboxOptions { RateLimit = { DailyLimit = DailyLimit, DailyWindowSeconds = 20 } },
            new Dictionary<string, string?> { ["Sync:HoopAi:RateLimitDailyWindow"] = "00:00:20" });
        await _worker.InstallPrivateAsync(Location);
        for (var i = 0; i < Events; i++)
        {
            await _worker.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-daily-{i}", DateTimeOffset.UtcNow, Location,
                new SourceContact { Email = $"daily{i}@example.com" }, []));
        }

        _applied = await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(_worker.ContactsOf(Location).Count == Events), TimeSpan.FromMinutes(4));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
    }

    [Test]
    public void Should_apply_every_event_after_the_reset() =>
        Assert.That(_applied, Is.True, $"{_worker.ContactsOf(Location).Count} of {Events} applied");

    [Test]
    public async Task Should_dead_letter_nothing() => Assert.That(await _worker.DeadLettersAsync(), Is.Zero);

    [Test]
    public void Should_wait_for_the_reset_instead_of_calling_into_429s()
    {
        // Sync counts its calls in the shared budget and stops at the limit; at most a call or two may cross a window's
        // edge between the worker's clock and the sandbox's.
        Assert.That(_worker.Sandbox.State.Requests.Count("/contacts/upsert", status: 429), Is.LessThanOrEqualTo(2));
    }
}
