using Sync.Core;
using Sync.IntegrationTests.Messaging;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// A message moved back from its error queue as it is (a shovel, or a replay that keeps its headers) starts a fresh
/// redelivery schedule: its old counters do not dead-letter it at its first failure.
/// </summary>
[TestFixture]
public sealed class When_a_dead_letter_is_moved_back_to_its_queue
{
    private RedeliveryHarness _harness = null!;
    private BrokerQueues _queues = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _harness = await RedeliveryHarness.StartAsync(1, 2);
        _queues = await BrokerQueues.OpenAsync(_harness.VirtualHost);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_queues is not null)
        {
            await _queues.DisposeAsync();
        }

        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_get_its_whole_schedule_again()
    {
        const string error = RedeliveryHarness.Queue + "_error";
        await _harness.PublishAsync(new Flaky("moved-back", FailureKind.Transient, int.MaxValue));
        Assert.That(await _queues.WaitForAsync(error, 1, TimeSpan.FromSeconds(40)), Is.EqualTo(1), "dead-lettered once its schedule was used up");
        var firstRun = _harness.Seen.CountFor("moved-back");
        var deadLetter = (await _queues.TakeAllAsync(error)).Single();

        await _queues.MoveBackAsync(deadLetter, RedeliveryHarness.Queue);
        Assert.That(await _queues.WaitForAsync(error, 1, TimeSpan.FromSeconds(40)), Is.EqualTo(1), "dead-lettered again");

        // Each run: 3 deliveries (first, after 1 s, after 2 s), each tried twice (one immediate retry).
        Assert.Multiple(() =>
        {
            Assert.That(firstRun, Is.EqualTo(6));
            Assert.That(_harness.Seen.CountFor("moved-back"), Is.EqualTo(12));
        });
    }
}
