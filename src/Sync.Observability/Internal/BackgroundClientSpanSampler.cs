using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Sync.Observability.Internal;

/// <summary>
/// The root sampler: a client span that starts a trace of its own (a database query or HTTP call outside any
/// request or message, such as the outbox relay's and the backlog sampler's polling, every second) is dropped;
/// everything else is kept. Children follow their parent (<see cref="ParentBasedSampler"/>), so an event's trace is
/// whole.
/// </summary>
internal sealed class BackgroundClientSpanSampler : Sampler
{
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == ActivityKind.Client
            ? new SamplingResult(SamplingDecision.Drop)
            : new SamplingResult(SamplingDecision.RecordAndSample);
}
