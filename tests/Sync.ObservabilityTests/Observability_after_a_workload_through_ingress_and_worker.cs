using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sync.Emitter;
using Sync.ObservabilityTests.Support;
using Sync.Storage;

namespace Sync.ObservabilityTests;

/// <summary>
/// A workload of known size (genuine, forged and repeated deliveries for one OAuth location whose token must be
/// refreshed on the way) goes through the ingress and the worker; the metrics both hosts serve on /metrics must tell
/// the same story as the emitter's ledger and the sandbox's own request counts, and one event can be followed by its trace.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class Observability_after_a_workload_through_ingress_and_worker
{
    private const string Location = "ObservedLocation0001";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly SpanRecorder _spans = new();
    private ObservedSystem _system = null!;
    private PrometheusText _ingressBefore = null!;
    private PrometheusText _workerBefore = null!;
    private PrometheusText _ingressAfter = null!;
    private PrometheusText _workerAfter = null!;
    private EmissionReport _report = null!;
    private List<string> _tokens = null!;

    [OneTimeSetUp]
    public async Task Run_a_workload()
    {
        _system = await ObservedSystem.StartAsync();

        // The first token is usable for 3 s (lifetime 8 s, refresh margin 5 s): the workload's calls refresh it.
        var first = await _system.InstallOAuthAsync(Location, lifetimeSeconds: 8);
        _tokens = [first.AccessToken];
        _ingressBefore = await _system.ScrapeAsync(_system.IngressAddress);
        _workerBefore = await _system.ScrapeAsync(_system.WorkerAddress);
        await Task.Delay(TimeSpan.FromSeconds(4));

        var workload = WorkloadGenerator.Generate(new WorkloadOptions
        {
            LocationIds = [Location],
            ContactsPerLocation = 10,
            Events = 40,
            RunId = "observability",
        });
        _report = await _system.SendAsync(workload, options =>
        {
            options.DuplicatePercent = 10;
            options.BadSignaturePercent = 10;
        });

        // Done when the sandbox holds what the events say and the worker has handled every published event.
        var expected = ExpectedState.Fold(workload);
        var settled = await ObservedSystem.EventuallyAsync(async () =>
        {
            var actual = _system.Sandbox.State.Contacts.ForLocation(Location)
                .Select(c => new ActualContact(c.Email, c.Phone, c.FirstName, c.LastName, c.CompanyName, c.Tags));
            if (expected.Diff(Location, actual).Count > 0)
            {
                return false;
            }

            var ingress = await _system.ScrapeAsync(_system.IngressAddress);
            var worker = await _system.ScrapeAsync(_system.WorkerAddress);
            return Delta(worker, _workerBefore, "sync_events_total", s => s.Label("consumer") == "webhook-received") >=
                   Delta(ingress, _ingressBefore, "sync_webhooks_total", s => s.Label("outcome") is "published" or "stored");
        }, Patience);
        Assert.That(settled, Is.True, "the workload was not applied in time");

        // Tag batches and their calls finish shortly after the state matches: wait until the sandbox's counts stop moving.
        long last = -1;
        await ObservedSystem.EventuallyAsync(async () =>
        {
            var total = _system.Sandbox.State.Requests.Snapshot().Sum(c => c.Count);
            var still = total == last;
            last = total;
            await Task.Delay(1000);
            return still;
        }, Patience);

        _ingressAfter = await _system.ScrapeAsync(_system.IngressAddress);
        _workerAfter = await _system.ScrapeAsync(_system.WorkerAddress);
        var stored = await _system.Worker.Services.GetRequiredService<IInstallationStore>().GetAsync(Location, CancellationToken.None);
        _tokens.Add(stored!.AccessToken!);
        _tokens.Add(stored.RefreshToken!);
        _tokens.Add(first.RefreshToken!);
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
    public void Should_count_every_accepted_webhook()
    {
        var answered200 = _report.Entries.Count(e => e.Status == 200);
        var counted = Delta(_ingressAfter, _ingressBefore, "sync_webhooks_total", s => s.Label("outcome") is "published" or "stored" or "duplicate");

        Assert.That(counted, Is.EqualTo(answered200));
    }

    [Test]
    public void Should_count_every_forged_webhook_as_rejected_for_its_signature()
    {
        var forged = _report.Entries.Count(e => e.BadSignature);
        Assume.That(forged, Is.GreaterThan(0), "the workload has forged deliveries");

        Assert.Multiple(() =>
        {
            Assert.That(Delta(_ingressAfter, _ingressBefore, "sync_webhooks_total", s => s.Label("outcome") == "rejected:invalid-signature"), Is.EqualTo(forged));
            Assert.That(Delta(_ingressAfter, _ingressBefore, "sync_webhooks_total", s => s.Label("outcome").StartsWith("rejected:", StringComparison.Ordinal)),
                Is.EqualTo(_report.Entries.Count(e => e.Status != 200)));
        });
    }

    [Test]
    public void Should_count_every_published_event_once_as_applied_stale_or_deduplicated()
    {
        var published = Delta(_ingressAfter, _ingressBefore, "sync_webhooks_total", s => s.Label("outcome") is "published" or "stored");
        var handled = Delta(_workerAfter, _workerBefore, "sync_events_total", s => s.Label("consumer") == "webhook-received");
        var applied = Delta(_workerAfter, _workerBefore, "sync_events_total", s => s.Label("consumer") == "webhook-received" && s.Label("result") == "applied");

        Assert.Multiple(() =>
        {
            Assert.That(handled, Is.EqualTo(published));
            Assert.That(applied, Is.GreaterThan(0));
        });
    }

    [Test]
    public void Should_count_api_calls_by_status_as_the_sandbox_counted_them()
    {
        var sandbox = _system.Sandbox.State.Requests.Snapshot()
            .Where(c => !c.Route.StartsWith("/oauth", StringComparison.Ordinal))
            .GroupBy(c => c.Status.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => (double)g.Sum(c => c.Count));
        var scraped = _workerAfter.Samples.Where(s => s.Name == "sync_api_calls_total").Select(s => s.Label("status")).Distinct()
            .ToDictionary(status => status, status => Delta(_workerAfter, _workerBefore, "sync_api_calls_total", s => s.Label("status") == status))
            .Where(p => p.Value > 0)
            .ToDictionary(p => p.Key, p => p.Value);

        Assert.That(scraped, Is.EquivalentTo(sandbox));
    }

    [Test]
    public void Should_time_the_stages_of_every_api_answer_and_every_consumed_event()
    {
        // Every answered API call times its HTTP stage once; every event the webhook consumer handled timed its receive.
        var answered = _workerAfter.Samples.Where(s => s.Name == "sync_api_calls_total" && int.TryParse(s.Label("status"), out _))
            .Select(s => s.Label("status")).Distinct()
            .Sum(status => Delta(_workerAfter, _workerBefore, "sync_api_calls_total", s => s.Label("status") == status));
        var http = Delta(_workerAfter, _workerBefore, "sync_worker_stage_duration_seconds_count", s => s.Label("consumer") == "api" && s.Label("stage") == "http");
        var handled = Delta(_workerAfter, _workerBefore, "sync_events_total", s => s.Label("consumer") == "webhook-received");
        var received = Delta(_workerAfter, _workerBefore, "sync_worker_stage_duration_seconds_count", s => s.Label("consumer") == "webhook-received" && s.Label("stage") == "receive");

        Assert.Multiple(() =>
        {
            Assert.That(answered, Is.GreaterThan(0));
            Assert.That(http, Is.EqualTo(answered));
            Assert.That(received, Is.GreaterThanOrEqualTo(handled));
        });
    }

    [Test]
    public void Should_count_the_token_refreshes_the_sandbox_answered()
    {
        // One /oauth/token call exchanged the install's code; every other one was a refresh.
        var refreshes = _system.Sandbox.State.Requests.Count("/oauth/token", status: 200) - 1;
        Assume.That(refreshes, Is.GreaterThan(0), "the workload refreshed the token");

        Assert.That(Delta(_workerAfter, _workerBefore, "sync_token_refreshes_total", s => s.Label("result") == "refreshed"), Is.EqualTo(refreshes));
    }

    [Test]
    public void Should_show_the_time_left_on_the_soonest_expiring_token() =>
        Assert.That(_workerAfter.Samples.Single(s => s.Name == "sync_token_soonest_expiry_seconds").Value, Is.LessThanOrEqualTo(8));

    [Test]
    public void Should_show_the_rate_budget_of_the_location_for_both_windows()
    {
        var budget = _workerAfter.Samples.Where(s => s.Name == "sync_api_budget_remaining" && s.Label("location") == Location).ToList();

        Assert.That(budget.Select(s => s.Label("window")).Order(StringComparer.Ordinal), Is.EqualTo(new[] { "burst", "daily" }));
    }

    [Test]
    public void Should_log_every_api_call_with_its_rate_limit_headers_and_attempt()
    {
        var calls = _system.WorkerLogs.Lines.Where(l => l.EventId == 3001).ToList();
        var answered = _system.Sandbox.State.Requests.Snapshot().Where(c => !c.Route.StartsWith("/oauth", StringComparison.Ordinal)).Sum(c => c.Count);

        Assert.Multiple(() =>
        {
            Assert.That(calls, Has.Count.EqualTo(answered));
            Assert.That(calls.Count(c => c.Level == LogLevel.Debug), Is.EqualTo(calls.Count(c => Convert.ToInt32(c.Fields["Status"], CultureInfo.InvariantCulture) < 400)),
                "a call that succeeded is logged at Debug, and only such a call");
            foreach (var field in new[] { "Method", "Route", "Status", "ElapsedMs", "Remaining", "Max", "DailyRemaining", "DailyLimit", "LocationId", "Attempt" })
            {
                Assert.That(calls.Count(c => c.Fields.GetValueOrDefault(field) is not null), Is.EqualTo(calls.Count), $"lines carrying {field}");
            }
        });
    }

    [Test]
    public void Should_never_log_a_token()
    {
        var leaks = _system.WorkerLogs.Lines
            .Where(l => _tokens.Any(t => l.Message.Contains(t, StringComparison.Ordinal) ||
                                         l.Fields.Values.Any(v => v?.ToString()?.Contains(t, StringComparison.Ordinal) == true)))
            .Select(l => l.Category + ": " + l.Message)
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(_system.WorkerLogs.Lines, Is.Not.Empty);
            Assert.That(leaks, Is.Empty);
        });
    }

    [Test]
    public void Should_expose_every_metric_the_alert_rules_and_the_dashboard_name()
    {
        var exposed = _ingressAfter.Names.Union(_workerAfter.Names).ToHashSet(StringComparer.Ordinal);
        var named = MetricNames(File.ReadAllText(RepositoryFiles.PathOf("infra/prometheus/alerts.yml")))
            .Concat(DashboardExpressions().SelectMany(MetricNames))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assume.That(named, Is.Not.Empty);

        Assert.That(named.Where(n => !exposed.Contains(n)), Is.Empty, "named by the rules or the dashboard but not exposed");
    }

    [Test]
    public async Task Should_report_the_worker_ready_with_bus_database_and_circuits()
    {
        using var response = await _system.Http.GetAsync(new Uri(_system.WorkerAddress, "/health/ready"));
        var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var checks = report.GetProperty("checks").EnumerateObject().Select(p => p.Name).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(checks, Does.Contain("database").And.Contain("hoopai-circuits"));
            Assert.That(checks.Any(c => c.Contains("masstransit", StringComparison.OrdinalIgnoreCase)), Is.True, "a bus check: " + string.Join(", ", checks));
        });
    }

    [Test]
    public async Task Should_answer_the_worker_liveness_probe()
    {
        using var response = await _system.Http.GetAsync(new Uri(_system.WorkerAddress, "/health/live"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_trace_one_event_from_the_ingress_request_to_the_api_calls_and_the_tag_batch()
    {
        var e = new SourceEvent(SourceEventTypes.Upserted, "evt-traced-1", DateTimeOffset.UtcNow, Location,
            new SourceContact { Email = "traced@example.com", FirstName = "Tracy" }, ["traced"]);
        ActivityTraceId traceId;
        using (var root = new Activity("observability test").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            traceId = root.TraceId;
            var report = await _system.SendAsync([e], o => o.Concurrency = 1);
            Assume.That(report.Entries.Single().Status, Is.EqualTo(200));
        }

        // A tag batch carries the commands of many events: it continues its first command's trace and links to the
        // others'. Either way the event's trace leads to the batch, and the batch to its bulk call.
        bool IsBulkCall(Activity span) => span.Source.Name == "System.Net.Http" && Url(span).Contains("/contacts/bulk/tags/update/add", StringComparison.Ordinal);
        bool IsBatchOfTheEvent(Activity span) => span.Source.Name == Sync.Core.SyncTelemetry.Name && span.OperationName == "tag batch" &&
                                                 (span.TraceId == traceId || span.Links.Any(l => l.Context.TraceId == traceId));
        Activity? BulkCallOfTheEvent() =>
            _spans.Spans.Where(IsBatchOfTheEvent)
                .SelectMany(batch => _spans.Spans.Where(s => IsBulkCall(s) && s.TraceId == batch.TraceId && s.ParentSpanId == batch.SpanId))
                .FirstOrDefault();
        var complete = await ObservedSystem.EventuallyAsync(() => Task.FromResult(BulkCallOfTheEvent() is not null), Patience);
        var trace = _spans.Spans.Where(s => s.TraceId == traceId).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(complete, Is.True, "a tag batch in or linked to the event's trace made the bulk tag call");
            Assert.That(trace.Any(s => s.Source.Name == "Microsoft.AspNetCore" && s.Kind == ActivityKind.Server &&
                                       Url(s).Contains("/webhooks/sources/", StringComparison.Ordinal)), Is.True, "the ingress request");
            Assert.That(trace.Any(s => s.Source.Name == Sync.Core.SyncTelemetry.Name && s.Kind == ActivityKind.Producer &&
                                       s.DisplayName.Contains("WebhookReceived", StringComparison.Ordinal)), Is.True, "the publish");
            Assert.That(trace.Any(s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer), Is.True, "the consume");
            Assert.That(trace.Any(s => s.Source.Name == "System.Net.Http" && Url(s).Contains("/contacts/upsert", StringComparison.Ordinal)), Is.True, "the upsert call");
            Assert.That(trace.Any(s => s.Source.Name == Sync.Core.SyncTelemetry.Name && s.OperationName == "outbox relay"), Is.True, "the relay's publish of the tag command");
            Assert.That(trace.Any(s => s.Source.Name == Sync.Core.SyncTelemetry.Name && s.Kind == ActivityKind.Producer &&
                                       s.DisplayName.Contains("ChangeContactTags", StringComparison.Ordinal)), Is.True, "the tag command's publish, after the outbox");
        });
    }

    private static string Url(Activity span) =>
        span.GetTagItem("url.full") as string ?? span.GetTagItem("url.path") as string ?? span.GetTagItem("http.target") as string ?? span.DisplayName;

    private static double Delta(PrometheusText after, PrometheusText before, string name, Func<Sample, bool>? where = null) =>
        after.Sum(name, where) - before.Sum(name, where);

    private static IEnumerable<string> DashboardExpressions()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf("infra/grafana/sync.json")));
        var expressions = new List<string>();
        Collect(dashboard.RootElement, expressions);
        return expressions;

        static void Collect(JsonElement element, List<string> into)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                        {
                            into.Add(property.Value.GetString()!);
                        }
                        else
                        {
                            Collect(property.Value, into);
                        }
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Collect(item, into);
                    }

                    break;
            }
        }
    }

    // Sync's own metric names in a PromQL text (the rules and the dashboard name no others).
    private static IEnumerable<string> MetricNames(string promql) =>
        SyncMetricName().Matches(promql).Select(m => m.Value);

    [GeneratedRegex(@"\bsync_[a-z0-9_]+\b")]
    private static partial Regex SyncMetricName();
}
