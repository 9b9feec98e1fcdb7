using System.Diagnostics.Metrics;
using Sync.Core;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// A call that waits in-process for its slot of the shared schedule and wakes well after it (the process was busy when
/// the slot came) lets that slot go and reserves another, instead of calling late and crowding the calls that follow
/// into one sliding window beyond the limit. Over a real PostgreSQL schedule.
/// </summary>
[TestFixture]
public sealed class When_a_call_wakes_late_for_its_slot
{
    private SharedScheduleRig _rig = null!;

    // Ten calls a second: slots about 100 ms apart.
    [OneTimeSetUp]
    public async Task Create_the_shared_schedule() =>
        _rig = await SharedScheduleRig.CreateAsync(new Dictionary<string, string?> { ["RateLimitMax"] = "10", ["RateLimitInterval"] = "00:00:01" });

    [OneTimeTearDown]
    public async Task Drop()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_let_the_slot_go_and_reserve_another()
    {
        long missed = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SyncTelemetry.Name && instrument.Name == "sync.api.slots.missed")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref missed, value));
        listener.Start();

        var location = $"loc-{Guid.NewGuid():N}";
        var clock = new OversleepingTimeProvider(TimeSpan.FromMilliseconds(300));
        var limiter = _rig.NewProcess((TimeProvider)clock);

        await limiter.AcquireAsync(location, CancellationToken.None); // the first slot is now: no wait
        var beforeSecond = Interlocked.Read(ref missed);
        await limiter.AcquireAsync(location, CancellationToken.None); // ~100 ms away, and its timer fires 300 ms late

        Assert.Multiple(() =>
        {
            Assert.That(clock.Oversleeps, Is.EqualTo(1), "the second call waited for its slot once, and woke late");
            Assert.That(Interlocked.Read(ref missed) - beforeSecond, Is.EqualTo(1), "the late slot was let go, and counted as missed");
        });
    }

    /// <summary>The system clock, whose first timer fires late by <paramref name="oversleep"/> (a busy process).</summary>
    private sealed class OversleepingTimeProvider(TimeSpan oversleep) : TimeProvider
    {
        private int _timers;

        public int Oversleeps => Volatile.Read(ref _timers) > 0 ? 1 : 0;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            Interlocked.Increment(ref _timers) == 1
                ? System.CreateTimer(callback, state, dueTime + oversleep, period)
                : System.CreateTimer(callback, state, dueTime, period);
    }
}
