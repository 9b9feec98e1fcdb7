using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

[TestFixture]
public sealed class When_the_api_answers_429_without_headers
{
    private const string Location = "NoHeaders00000000001";
    private const int Events = 10;
    private const int Forced429Seconds = 60;
    private WorkerHarness _worker = null!;
    private bool _applied;

    [OneTimeSetUp]
    public async Task Apply_events_through_a_run_of_429s_that_say_nothing()
    {
        _worker = await WorkerHarness.StartAsync(new SandboxOptions
        {
            // Every call is 429 for a minute, longer than the whole transient schedule (1 + 2 + 4 + 8 s and the attempts
            // between): the work must wait for the API, not retry until it is dead-lettered.
            Faults = { Force429Seconds = Forced429Seconds, Force429WithoutHeaders = true, LocationId = Location },
        });
        await _worker.InstallPrivateAsync(Location);
        for (var i = 0; i < Events; i++)
        {
            await _worker.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-noheaders-{i}", DateTimeOffset.UtcNow, Location,
                new SourceContact { Email = $"noheaders{i}@example.com" }, []));
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
    public void Should_meet_the_429s() =>
        Assert.That(_worker.Sandbox.State.Requests.Count("/contacts/upsert", status: 429), Is.GreaterThan(0));

    [Test]
    public void Should_apply_every_event() => Assert.That(_applied, Is.True, $"{_worker.ContactsOf(Location).Count} of {Events} applied");

    [Test]
    public async Task Should_dead_letter_nothing() => Assert.That(await _worker.DeadLettersAsync(), Is.Zero);
}
