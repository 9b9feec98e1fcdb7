using Sync.Emitter;
using Sync.ObservabilityTests.Support;

namespace Sync.ObservabilityTests;

/// <summary>With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, both hosts export their traces and metrics there over OTLP.</summary>
[TestFixture]
[NonParallelizable]
public sealed class Observability_with_an_otlp_endpoint
{
    private const string Location = "OtlpLocation00000001";
    private OtlpReceiver _receiver = null!;
    private ObservedSystem _system = null!;

    [OneTimeSetUp]
    public async Task Start_with_an_endpoint_and_send_one_event()
    {
        _receiver = OtlpReceiver.Start();
        _system = await ObservedSystem.StartAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = _receiver.Address.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        await _system.InstallOAuthAsync(Location, lifetimeSeconds: 3600);
        var e = new SourceEvent(SourceEventTypes.Upserted, "evt-otlp-1", DateTimeOffset.UtcNow, Location,
            new SourceContact { Email = "otlp@example.com", FirstName = "Otto" }, []);
        var report = await _system.SendAsync([e]);
        Assume.That(report.Entries.Single().Status, Is.EqualTo(200));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }

        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_export_traces_over_otlp() =>
        Assert.That(await ObservedSystem.EventuallyAsync(
            () => Task.FromResult(_receiver.Exports.Any(x => x.Path == "/v1/traces" && x.Bytes > 0)), TimeSpan.FromSeconds(60)), Is.True);

    [Test]
    public async Task Should_not_export_a_trace_for_each_background_poll()
    {
        // The relays poll the outbox every 100 ms and the samplers query it every 500 ms: were each query a trace of
        // its own, spans would be exported every 200 ms. Once the event's trace is out, nothing more comes while idle.
        await ObservedSystem.EventuallyAsync(() => Task.FromResult(_receiver.Exports.Any(x => x.Path == "/v1/traces")), TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var before = _receiver.Exports.Count(x => x.Path == "/v1/traces");
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.That(_receiver.Exports.Count(x => x.Path == "/v1/traces"), Is.EqualTo(before));
    }

    [Test]
    public async Task Should_export_metrics_over_otlp() =>
        Assert.That(await ObservedSystem.EventuallyAsync(
            () => Task.FromResult(_receiver.Exports.Any(x => x.Path == "/v1/metrics" && x.Bytes > 0)), TimeSpan.FromSeconds(60)), Is.True);
}
