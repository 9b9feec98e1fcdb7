using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// Failures that only one location sees open that location's circuit, not the API's: the other location's work goes
/// on meanwhile, the failing location's work waits without dead letters, and all of it is applied once it recovers.
/// </summary>
[TestFixture]
public sealed class When_only_one_location_sees_the_api_fail
{
    private const string Failing = "FailuresLocationSick";
    private const string Healthy = "FailuresLocationFine";
    private const int EventsEach = 60;

    [Test]
    public async Task Should_keep_the_other_location_going_and_lose_nothing()
    {
        // The API's own circuit is kept out of the way (only the location's may open), and so are the rate limits, whose
        // waits would otherwise stretch the retry schedule past this short outage.
        await using var harness = await WorkerHarness.StartAsync(new SandboxOptions { RateLimit = { Enabled = false } }, new Dictionary<string, string?>
        {
            ["Sync:HoopAi:RateLimitEnabled"] = "false",
            ["Sync:Circuit:ConsecutiveFailures"] = "10000",
            ["Sync:Circuit:FailureRatio"] = "1.0",
            ["Sync:Circuit:MinimumCalls"] = "100000",
        });
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        await harness.InstallPrivateAsync(Failing);
        await harness.InstallPrivateAsync(Healthy);
        harness.Sandbox.State.Faults.Set(new SandboxFaultOptions { LocationId = Failing, Error503Percent = 100 });
        var at = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < EventsEach; i++)
        {
            foreach (var location in new[] { Failing, Healthy })
            {
                await harness.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-{location}-{i}", at.AddSeconds(i), location,
                    new SourceContact { Email = $"c{i}@{location.ToLowerInvariant()}.example" }, null));
            }
        }

        var healthyDone = await WorkerHarness.EventuallyAsync(() => Task.FromResult(harness.ContactsOf(Healthy).Count == EventsEach), TimeSpan.FromSeconds(60));
        var failingDuringOutage = harness.ContactsOf(Failing).Count;
        await Task.Delay(TimeSpan.FromSeconds(30));
        harness.Sandbox.State.Faults.Clear();
        var failingDone = await WorkerHarness.EventuallyAsync(() => Task.FromResult(harness.ContactsOf(Failing).Count == EventsEach), TimeSpan.FromSeconds(120));

        Assert.Multiple(async () =>
        {
            Assert.That(healthyDone, Is.True, "the healthy location's work went on during the other's outage");
            Assert.That(failingDuringOutage, Is.Zero);
            Assert.That(failingDone, Is.True, "the failing location's work was applied after it recovered");
            Assert.That(await queues.CountAsync("webhook-received_error"), Is.Zero);
        });
    }
}
