using System.Diagnostics;

namespace Sync.Core;

/// <summary>
/// Times the stages of one message: each <see cref="Lap"/> records the time since the previous lap (or since the
/// clock started) as that stage in <see cref="SyncTelemetry.StageDuration"/>. Costs one timestamp per lap.
/// </summary>
public sealed class StageClock
{
    private readonly string _consumer;
    private long _last;

    /// <summary>Starts the clock for a message of <paramref name="consumer"/>.</summary>
    public StageClock(string consumer)
    {
        _consumer = consumer;
        _last = Stopwatch.GetTimestamp();
    }

    /// <summary>Records the time since the last lap as <paramref name="stage"/>.</summary>
    public void Lap(string stage)
    {
        var now = Stopwatch.GetTimestamp();
        SyncTelemetry.RecordStage(_consumer, stage, Stopwatch.GetElapsedTime(_last, now));
        _last = now;
    }

    /// <summary>Starts the next stage now, recording nothing for the time since the last lap.</summary>
    public void Skip() => _last = Stopwatch.GetTimestamp();
}
