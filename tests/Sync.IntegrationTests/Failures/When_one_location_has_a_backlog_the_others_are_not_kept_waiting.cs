using System.Diagnostics.Metrics;
using Sync.Core;
using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Messaging;
using Sync.Messaging.Lanes;
using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// Fairness: one location's backlog, at the API's real limit (100 calls per 10 s), is three times what its budget
/// allows in the time the test looks; events of five other locations handed over behind it (as the ingress hands them
/// over: the busy location's excess goes to the backlog lane) are applied while most of the backlog still waits for
/// its slots — the busy location's messages wait for their reserved slots in the wait tiers, not in consumers. Its own
/// work still goes through, with no 429, nothing dead-lettered and nothing left in a skipped queue.
/// </summary>
[TestFixture]
public sealed class When_one_location_has_a_backlog_the_others_are_not_kept_waiting
{
    private const string Hot = "FairHot0000000000001";
    private const int Backlog = 300;
    private static readonly string[] Others = [.. Enumerable.Range(1, 5).Select(i => $"FairQuiet{i:D11}")];
    private WorkerHarness _worker = null!;
    private int _hotAppliedWhenOthersWere;
    private bool _othersApplied;
    private bool _backlogApplied;
    private HandoffOutcome[] _outcomes = null!;
    private MeterListener? _deliveries;
    private int _backlogLaneDeliveries;

    [OneTimeSetUp]
    public async Task Apply_a_backlog_and_a_few_events_behind_it()
    {
        // Every delivery a queue hands the worker is recorded as its "pipeline" stage, labelled with the queue.
        _deliveries = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                // By name: the listener may start while SyncTelemetry's instruments are still being created.
                if (instrument.Meter.Name == SyncTelemetry.Name && instrument.Name == "sync.worker.stage.duration")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _deliveries.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            string? queue = null, stage = null;
            foreach (var tag in tags)
            {
                queue = tag.Key == "consumer" ? tag.Value as string : queue;
                stage = tag.Key == "stage" ? tag.Value as string : stage;
            }

            if (stage == "pipeline" && queue == WebhookLanes.BacklogQueue)
            {
                Interlocked.Increment(ref _backlogLaneDeliveries);
            }
        });
        _deliveries.Start();

        _worker = await WorkerHarness.StartAsync(new SandboxOptions { RateLimit = { BurstLimit = 100, BurstIntervalMilliseconds = 10_000 } });
        await _worker.InstallPrivateAsync(Hot);
        foreach (var other in Others)
        {
            await _worker.InstallPrivateAsync(other);
        }

        var at = DateTimeOffset.UtcNow;
        var outcomes = new List<HandoffOutcome>();
        for (var i = 0; i < Backlog; i++)
        {
            outcomes.Add(await _worker.HandOffAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-fair-hot-{i}", at, Hot,
                new SourceContact { Email = $"hot{i}@example.com" }, [])));
        }

        foreach (var other in Others)
        {
            for (var i = 0; i < 2; i++)
            {
                outcomes.Add(await _worker.HandOffAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-fair-{other}-{i}", at, other,
                    new SourceContact { Email = $"quiet{i}@example.com" }, [])));
            }
        }

        _outcomes = [.. outcomes];

        _othersApplied = await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(Others.All(o => _worker.ContactsOf(o).Count == 2)), TimeSpan.FromMinutes(3));
        _hotAppliedWhenOthersWere = _worker.ContactsOf(Hot).Count;
        _backlogApplied = await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(_worker.ContactsOf(Hot).Count == Backlog), TimeSpan.FromMinutes(3));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _deliveries?.Dispose();
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
    }

    [Test]
    public void Should_apply_the_other_locations_events_before_most_of_the_backlog()
    {
        Assert.That(_othersApplied, Is.True, "the five other locations' events were applied");
        Assert.That(_hotAppliedWhenOthersWere, Is.LessThan(Backlog / 2),
            "the busy location had applied less than half its backlog when the others' events were all applied");
    }

    [Test]
    public void Should_take_each_backlog_lane_message_from_the_lane_once_and_bring_it_back_to_the_work_queue_for_its_slot()
    {
        // The first 100 of the busy location's events fit its burst and go to the work queue; at most the other 200
        // go to the backlog lane. Those whose slots lie ahead wait in the tiers and come back to the work queue, so the
        // lane delivers each of its messages once; coming back to the lane, each would be delivered there again.
        Assert.That(_backlogApplied, Is.True);
        Assert.That(_backlogLaneDeliveries, Is.GreaterThan(0).And.LessThanOrEqualTo(Backlog - 100));
    }

    [Test]
    public void Should_still_apply_the_whole_backlog() =>
        Assert.That(_backlogApplied, Is.True, $"{_worker.ContactsOf(Hot).Count} of {Backlog} applied");

    [Test]
    public void Should_stay_within_the_apis_limit() =>
        Assert.That(_worker.Sandbox.State.Requests.Count("/contacts/upsert", status: 429), Is.Zero);

    [Test]
    public async Task Should_dead_letter_nothing() => Assert.That(await _worker.DeadLettersAsync(), Is.Zero);

    [Test]
    public void Should_have_published_every_event_straight_to_the_broker() =>
        Assert.That(_outcomes.Count(o => o == HandoffOutcome.Published), Is.EqualTo(Backlog + (2 * Others.Length)));

    [Test]
    public async Task Should_leave_nothing_in_a_skipped_queue()
    {
        // A delivery forwarded on towards its slot is done with; MassTransit must not also move it to <queue>_skipped.
        await using var queues = await BrokerQueues.OpenAsync(_worker.VirtualHost);
        foreach (var queue in new[] { "webhook-received_skipped", "webhook-received-backlog_skipped" })
        {
            Assert.That(await queues.ExistsAsync(queue) ? await queues.CountAsync(queue) : 0u, Is.Zero, queue);
        }
    }
}
