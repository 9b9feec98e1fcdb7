using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Consumers;
using Sync.Core;
using Sync.Emitter;
using Sync.Sandbox;
using Sync.Storage;

namespace Sync.IntegrationTests.Worker;

/// <summary>
/// Upserts applied at once share a unit of work (<see cref="UpsertBatcher"/>). When the API fails for some of them, those
/// are taken back (inbox mark and guard) while the rest of their batch commits, and they are applied once the API
/// recovers: nothing lost, nothing applied twice, nothing left marked that did not reach the API.
/// </summary>
[TestFixture]
public sealed class When_upserts_that_share_a_unit_of_work_fail_apart
{
    private const string Failing = "BatchLocationSick";
    private const string Healthy = "BatchLocationFine";
    private const int EventsEach = 40;

    [Test]
    public async Task Should_commit_the_healthy_members_and_take_back_the_failed_ones()
    {
        var batchSizes = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SyncTelemetry.Name && instrument.Name == "sync.upsert_batch.size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            lock (batchSizes)
            {
                batchSizes.Add(value);
            }
        });
        listener.Start();

        // The circuits and the rate limits are kept out of the way: only the failing location's calls fail.
        await using var harness = await WorkerHarness.StartAsync(new SandboxOptions { RateLimit = { Enabled = false } }, new Dictionary<string, string?>
        {
            ["Sync:HoopAi:RateLimitEnabled"] = "false",
            ["Sync:Circuit:ConsecutiveFailures"] = "10000",
            ["Sync:Circuit:FailureRatio"] = "1.0",
            ["Sync:Circuit:MinimumCalls"] = "100000",
            ["Sync:Circuit:LocationConsecutiveFailures"] = "10000",
        });
        await harness.InstallPrivateAsync(Failing);
        await harness.InstallPrivateAsync(Healthy);
        harness.Sandbox.State.Faults.Set(new SandboxFaultOptions { LocationId = Failing, Error503Percent = 100 });
        var at = new DateTimeOffset(2026, 8, 1, 0, 0, 0, TimeSpan.Zero);
        var events = new List<SourceEvent>();
        for (var i = 0; i < EventsEach; i++)
        {
            foreach (var location in new[] { Failing, Healthy })
            {
                var e = new SourceEvent(SourceEventTypes.Upserted, $"evt-{location}-{i}", at.AddSeconds(i), location,
                    new SourceContact { Email = $"c{i}@{location.ToLowerInvariant()}.example", FirstName = "Before" }, null);
                events.Add(e);
            }
        }

        // Published together, interleaved, so the two locations' upserts share batches.
        await Task.WhenAll(events.Select(harness.PublishAsync));

        var healthyDone = await WorkerHarness.EventuallyAsync(() => Task.FromResult(harness.ContactsOf(Healthy).Count == EventsEach), TimeSpan.FromSeconds(60));
        // Every failing call has been made at least once by now, and its batch ended.
        await WorkerHarness.EventuallyAsync(() => Task.FromResult(harness.Sandbox.State.Requests.Count("/contacts/upsert", status: 503) >= EventsEach), TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(1));

        var inbox = harness.Services.GetRequiredService<IInboxStore>();
        var index = harness.Services.GetRequiredService<IContactIndexStore>();
        async Task<int> MarkedAsync(string location)
        {
            var marked = 0;
            foreach (var e in events.Where(e => e.LocationId == location))
            {
                marked += await inbox.IsProcessedAsync(WebhookReceivedConsumer.InboxName, DeterministicId.ForWebhook("crm", e.Id), CancellationToken.None) ? 1 : 0;
            }

            return marked;
        }

        async Task<int> GuardedAsync(string location) =>
            (await index.FindTagVersionsAsync(location,
                events.Where(e => e.LocationId == location).Select(e => "contact:email:" + e.Contact!.Email!.ToLowerInvariant()).ToList(),
                "~exists", CancellationToken.None)).Count;

        var healthyMarked = await MarkedAsync(Healthy);
        var healthyGuarded = await GuardedAsync(Healthy);
        var failingMarked = await MarkedAsync(Failing);
        var failingGuarded = await GuardedAsync(Failing);
        var failingApplied = harness.ContactsOf(Failing).Count;

        harness.Sandbox.State.Faults.Clear();
        var failingDone = await WorkerHarness.EventuallyAsync(() => Task.FromResult(harness.ContactsOf(Failing).Count == EventsEach), TimeSpan.FromSeconds(120));
        await WorkerHarness.EventuallyAsync(async () => await MarkedAsync(Failing) == EventsEach, TimeSpan.FromSeconds(30));
        long[] sizes;
        lock (batchSizes)
        {
            sizes = [.. batchSizes];
        }

        Assert.Multiple(async () =>
        {
            Assert.That(sizes.Max(), Is.GreaterThan(1), "upserts shared units of work");
            Assert.That(healthyDone, Is.True, "the healthy location's upserts were applied beside the failing ones");
            Assert.That(healthyMarked, Is.EqualTo(EventsEach), "each healthy upsert's mark committed with its batch");
            Assert.That(healthyGuarded, Is.EqualTo(EventsEach), "each healthy upsert's guard committed with its batch");
            Assert.That(failingApplied, Is.Zero);
            Assert.That(failingMarked, Is.Zero, "a failed upsert's mark was taken back, so its redelivery is applied");
            Assert.That(failingGuarded, Is.Zero, "a failed upsert's guard changes were taken back");
            Assert.That(failingDone, Is.True, "the failed upserts were applied once the API recovered");
            Assert.That(await MarkedAsync(Failing), Is.EqualTo(EventsEach));
            Assert.That(harness.Sandbox.State.Contacts.ForLocation(Failing).Select(c => c.Email).Distinct().Count(), Is.EqualTo(EventsEach),
                "no contact created twice");
            Assert.That(await harness.DeadLettersAsync(), Is.Zero);
        });
    }
}
