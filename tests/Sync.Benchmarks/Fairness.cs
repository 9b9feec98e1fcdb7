using Sync.Emitter;
using Sync.Sandbox;

namespace Sync.Benchmarks;

/// <summary>
/// P9: fairness between locations. One location holds a backlog of upserts at the real limit (sandbox 100 per 10 s
/// sliding, the worker's limiter on) while ten quiet locations each publish one upsert a second, open-loop (each event
/// due at its own t0, published then as the ingress publishes it). The figure is the p99 of t0 → the contact's creation
/// in the sandbox over the quiet locations' events (an event not applied by the end counts as infinitely late). The
/// backlog cannot drain in the run: the ledger counts what is still queued (work queues and wait tiers).
/// </summary>
internal static class Fairness
{
    private const int QuietLocations = 10;
    private const string Tag = "quiet";

    public sealed record Result(
        double P50Ms, double P99Ms, double MaxMs, int QuietSent, int QuietApplied,
        Ledger Ledger, string Settings);

    public static async Task<Result> RunAsync(int backlog, TimeSpan quietFor, string workerDll, Progress progress)
    {
        await using var rig = await BenchRig.CreateAsync();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            RateLimit = { Enabled = true, BurstLimit = 100, BurstIntervalMilliseconds = 10_000, Window = RateLimitWindow.Sliding },
        });
        for (var l = 0; l <= QuietLocations; l++)
        {
            var location = BenchRig.LocationId(l);
            await rig.InstallAsync(location, sandbox.State.Tokens.RegisterPrivateToken(location).Token);
        }

        var perLocation = (int)Math.Max(1, quietFor.TotalSeconds);
        var quietCount = perLocation * QuietLocations;
        var settings = $"{backlog:N0} upserts pre-queued for one location, {QuietLocations} quiet locations × 1 upsert/s for {perLocation} s " +
                       $"({quietCount:N0} events, published open-loop as the ingress does), sandbox 100 per 10 s sliding per location, " +
                       "1 worker process with its limiter on (defaults); ledger: sent = applied + dead-lettered + still queued";
        var heavy = WorkerThroughput.Upserts(backlog, 1, "heavy");
        var ids = heavy.ToDictionary(e => e.Contact.Email!, e => e.Id, StringComparer.Ordinal);
        await rig.PreQueueAsync(heavy, "P9: queueing the backlog", progress);

        var processes = WorkerProcess.Start(1, workerDll, rig, sandbox, rateLimited: true);
        try
        {
            await WorkerProcess.WaitReadyAsync(processes);

            // Let the backlog use up the heavy location's first burst and fill the consumers before the quiet ones start.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var (provider, bus) = await rig.StartBusAsync();
            var due = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            await using (provider)
            {
                var start = DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
                var schedule = Enumerable.Range(0, perLocation)
                    .SelectMany(j => Enumerable.Range(1, QuietLocations).Select(q => (Location: q, Sequence: j,
                        T0: start + TimeSpan.FromSeconds(j + (q - 1) / (double)QuietLocations))))
                    .OrderBy(s => s.T0)
                    .ToList();
                var publishes = new List<Task>(schedule.Count);
                foreach (var (location, sequence, t0) in schedule)
                {
                    var wait = t0 - DateTimeOffset.UtcNow;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }

                    var email = $"{Tag}{location:D2}-{sequence:D5}@example.com";
                    var e = new SourceEvent(SourceEventTypes.Upserted, $"{Tag}-{location:D2}-{sequence:D5}", t0, BenchRig.LocationId(location),
                        new SourceContact { Email = email, FirstName = "Quiet" }, null);
                    due[email] = t0;
                    ids[email] = e.Id;
                    publishes.Add(BenchRig.PublishAsync(bus, BenchRig.AsPublished(e)));
                    progress.Report("P9: quiet events sent", due.Count, schedule.Count);
                }

                await Task.WhenAll(publishes);
                await bus.StopAsync();
            }

            // The quiet events' stragglers get a little time (half the sending time, 2–10 s); the backlog keeps draining at its limit meanwhile.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(Math.Clamp(quietFor.TotalSeconds / 2, 2, 10));
            while (DateTime.UtcNow < deadline && QuietApplied(sandbox).Count < quietCount)
            {
                await Task.Delay(100);
            }

            await processes[0].StopAsync();
            var applied = QuietApplied(sandbox);
            var latencies = due.Select(d => applied.TryGetValue(d.Key, out var at) ? (at - d.Value.ToUnixTimeMilliseconds()) : double.PositiveInfinity)
                .Order().ToArray();
            var appliedIds = Enumerable.Range(0, QuietLocations + 1).SelectMany(l => sandbox.State.Contacts.ForLocation(BenchRig.LocationId(l)))
                .Select(c => ids.GetValueOrDefault(c.Email ?? "", "(unexpected contact)")).ToList();
            var ledger = await rig.AccountAsync([.. ids.Values], appliedIds);
            return new Result(Percentile(latencies, 50), Percentile(latencies, 99), latencies[^1], quietCount, applied.Count, ledger, settings);
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    private static Dictionary<string, long> QuietApplied(SandboxServer sandbox) =>
        Enumerable.Range(1, QuietLocations)
            .SelectMany(q => sandbox.State.Contacts.ForLocation(BenchRig.LocationId(q)))
            .Where(c => c.Email is not null)
            .ToDictionary(c => c.Email!, c => c.DateAddedMs, StringComparer.Ordinal);

    private static double Percentile(double[] sorted, double percentile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
