using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Sandbox;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// A backlog of events meets an API outage of several minutes (the sandbox's faults): what was sent, what the API saw
/// while it was down, and what ended where. The outage lasts <c>SYNC_TEST_OUTAGE_SECONDS</c> (default 300).
/// </summary>
internal static class ApiOutage
{
    public const int Events = 300;

    public static TimeSpan Duration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("SYNC_TEST_OUTAGE_SECONDS"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 300);

    /// <summary>The API calls made from one minute into the outage to its end, and how many minutes that was.</summary>
    public sealed record Outcome(
        long CallsDuringOutage, double MinutesObserved, uint WebhookDeadLetters, uint TagDeadLetters, uint Poison, bool AllApplied, int Contacts,
        HealthStatus HealthDuringOutage, HealthStatus HealthAfter);

    public static async Task<Outcome> RunAsync(string location, SandboxFaultOptions outage, IReadOnlyDictionary<string, string?>? settings = null)
    {
        await using var harness = await WorkerHarness.StartAsync(settings: settings);
        await using var queues = await BrokerQueues.OpenAsync(harness.VirtualHost);
        await harness.InstallPrivateAsync(location);

        harness.Sandbox.State.Faults.Set(outage);
        var started = DateTime.UtcNow;
        var t0 = new DateTimeOffset(2026, 4, 1, 8, 0, 0, TimeSpan.Zero);
        var expected = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < Events; i++)
        {
            var email = $"outage{i:D3}@example.com";
            string[]? tags = i % 3 == 0 ? [$"batch-{i % 5}"] : null;
            expected[email] = tags ?? [];
            await harness.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-outage-{i:D3}", t0.AddSeconds(i), location,
                new SourceContact { Email = email, FirstName = $"First{i}" }, tags));
        }

        // The first minute: the calls that meet the outage before the circuit opens, and the circuit opening.
        await Task.Delay(TimeSpan.FromMinutes(1) - (DateTime.UtcNow - started));
        var health = harness.Services.GetRequiredService<HealthCheckService>();
        var healthDuring = (await health.CheckHealthAsync(r => r.Name == "hoopai-circuits")).Status;
        var before = TotalCalls(harness);
        var observedFrom = DateTime.UtcNow;
        await Task.Delay(Duration - (DateTime.UtcNow - started));
        var during = TotalCalls(harness) - before;
        var minutes = (DateTime.UtcNow - observedFrom).TotalMinutes;
        harness.Sandbox.State.Faults.Clear();

        var applied = await WorkerHarness.EventuallyAsync(() => Task.FromResult(Matches(harness, location, expected)), TimeSpan.FromMinutes(3));
        var healthAfter = (await health.CheckHealthAsync(r => r.Name == "hoopai-circuits")).Status;
        return new Outcome(during, minutes,
            await queues.CountAsync("webhook-received_error"),
            await queues.CountAsync("change-contact-tags_error"),
            await queues.CountAsync("sync-poison"),
            applied,
            harness.ContactsOf(location).Count,
            healthDuring,
            healthAfter);
    }

    private static long TotalCalls(WorkerHarness harness) => harness.Sandbox.State.Requests.Snapshot().Sum(c => c.Count);

    private static bool Matches(WorkerHarness harness, string location, Dictionary<string, string[]> expected)
    {
        var contacts = harness.ContactsOf(location);
        return contacts.Count == expected.Count
               && contacts.All(c => c.Email is not null && expected.TryGetValue(c.Email, out var tags) && c.Tags.Order().SequenceEqual(tags.Order()));
    }
}
