using System.Diagnostics;
using System.Net;
using Sync.Emitter;
using Sync.ObservabilityTests.Support;

namespace Sync.ObservabilityTests;

/// <summary>
/// The ingress cannot reach RabbitMQ (its connection is cut; the worker's is not), so it keeps an event in the outbox
/// and answers 200. The row carries the request's trace context: the worker's relay publishes it in the same trace, and
/// the consume and the API call follow in it.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class Observability_of_an_event_the_ingress_spilled
{
    private const string Location = "SpilledLocation00001";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly SpanRecorder _spans = new();
    private ObservedSystem _system = null!;
    private EmissionReport _report = null!;
    private ActivityTraceId _traceId;
    private double _storedBefore;
    private double _storedAfter;

    [OneTimeSetUp]
    public async Task Spill_one_event()
    {
        _system = await ObservedSystem.StartAsync(ingressBrokerProxy: true);
        await _system.InstallOAuthAsync(Location, lifetimeSeconds: 3600);
        var ready = await ObservedSystem.EventuallyAsync(async () =>
        {
            using var response = await _system.Http.GetAsync(new Uri(_system.IngressAddress, "/health/ready"));
            return response.StatusCode == HttpStatusCode.OK;
        }, Patience);
        Assert.That(ready, Is.True, "the ingress did not become ready");

        _storedBefore = Stored(await _system.ScrapeAsync(_system.IngressAddress));
        _system.IngressBroker!.Disconnect();
        var e = new SourceEvent(SourceEventTypes.Upserted, "evt-spilled-1", DateTimeOffset.UtcNow, Location,
            new SourceContact { Email = "spilled@example.com", FirstName = "Spill" }, []);
        using (var root = new Activity("observability spill test").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            _traceId = root.TraceId;
            _report = await _system.SendAsync([e], o => o.Concurrency = 1);
        }

        // The exporter may answer a scrape from its cache for a moment: the count is read until it moves or time is up.
        await ObservedSystem.EventuallyAsync(async () =>
        {
            _storedAfter = Stored(await _system.ScrapeAsync(_system.IngressAddress));
            return _storedAfter > _storedBefore;
        }, TimeSpan.FromSeconds(10));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _spans.Dispose();
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }
    }

    [Test]
    public void Should_answer_200_and_count_the_event_as_stored()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_report.Entries.Single().Status, Is.EqualTo(200));
            Assert.That(_storedAfter - _storedBefore, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Should_trace_the_spilled_event_from_the_ingress_request_through_the_relay_to_the_upsert_call()
    {
        bool IsUpsert(Activity s) => s.TraceId == _traceId && s.Source.Name == "System.Net.Http" &&
                                     (s.GetTagItem("url.full") as string ?? s.DisplayName).Contains("/contacts/upsert", StringComparison.Ordinal);
        var applied = await ObservedSystem.EventuallyAsync(() => Task.FromResult(_spans.Spans.Any(IsUpsert)), Patience);
        var trace = _spans.Spans.Where(s => s.TraceId == _traceId).ToList();
        var relay = trace.FirstOrDefault(s => s.Source.Name == Sync.Core.SyncTelemetry.Name && s.OperationName == "outbox relay");
        var request = trace.FirstOrDefault(s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server);

        Assert.Multiple(() =>
        {
            Assert.That(applied, Is.True, "the upsert call in the event's trace");
            Assert.That(request, Is.Not.Null, "the ingress request");
            Assert.That(relay, Is.Not.Null, "the relay's publish of the stored row");
            Assert.That(trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer &&
                                       s.DisplayName.StartsWith("webhook-received", StringComparison.Ordinal)), Is.True,
                "the consume; spans: " + string.Join(", ", trace.Select(s => $"{s.Source.Name}/{s.Kind}/{s.DisplayName}")));
            Assert.That(relay?.StartTimeUtc ?? DateTime.MinValue, Is.GreaterThan(request?.StartTimeUtc ?? DateTime.MaxValue), "the relay published after the request");
        });
    }

    private static double Stored(PrometheusText metrics) => metrics.Sum("sync_webhooks_total", s => s.Label("outcome") == "stored");
}
