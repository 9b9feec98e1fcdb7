using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

[TestFixture]
public sealed class When_the_shared_schedule_has_no_room_for_a_call
{
    private const string Location = "NoRoom00000000000001";
    private const int Events = 15;
    private WorkerHarness _worker = null!;
    private bool _applied;

    [OneTimeSetUp]
    public async Task Apply_a_burst_far_beyond_the_schedule()
    {
        // 5 calls per 10 s, no waiting for a slot, and a single deferral allowed for a real 429: nearly every call is
        // refused by Sync's own schedule, again and again, and none of those refusals may count as a 429.
        _worker = await WorkerHarness.StartAsync(
            new SandboxOptions { RateLimit = { BurstLimit = 5 } },
            new Dictionary<string, string?>
            {
                ["Sync:HoopAi:RateLimitMax"] = "5",
                ["Sync:HoopAi:RateLimitMaxWait"] = "00:00:00",
                ["Sync:Redelivery:MaxRateLimitDeferrals"] = "1",
            });
        await _worker.InstallPrivateAsync(Location);
        for (var i = 0; i < Events; i++)
        {
            await _worker.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-noroom-{i}", DateTimeOffset.UtcNow, Location,
                new SourceContact { Email = $"noroom{i}@example.com" }, []));
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
    public void Should_apply_every_event() => Assert.That(_applied, Is.True, $"{_worker.ContactsOf(Location).Count} of {Events} applied");

    [Test]
    public async Task Should_dead_letter_nothing() => Assert.That(await _worker.DeadLettersAsync(), Is.Zero);
}
