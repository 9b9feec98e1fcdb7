using System.Collections.Concurrent;
using System.Diagnostics;

namespace Sync.ObservabilityTests.Support;

/// <summary>Records every span of the sources the hosts trace, as an in-process exporter would see them.</summary>
public sealed class SpanRecorder : IDisposable
{
    private static readonly string[] Sources = [Sync.Core.SyncTelemetry.Name, "MassTransit", "Microsoft.AspNetCore", "System.Net.Http"];
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _spans = new();

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => Sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Spans => [.. _spans];

    public void Dispose() => _listener.Dispose();
}
