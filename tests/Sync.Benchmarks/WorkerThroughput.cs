using System.Diagnostics;
using Sync.Emitter;
using Sync.Sandbox;

namespace Sync.Benchmarks;

/// <summary>
/// P3, P8 and P6: upsert events pre-queued on the worker's queue (as the ingress publishes them), then drained by
/// worker processes (the built Sync.Worker) against the sandbox with its rate limit off and the worker's own limit off.
/// Applied/s from the first contact the sandbox sees to the last; the workers' peak RSS while they drain. P3 and P8:
/// one worker, sandbox latency 0. P6: 1, 2 and 3 workers, sandbox latency 50 ms, a fresh virtual host and database each.
/// </summary>
internal static class WorkerThroughput
{
    public sealed record Result(Measurement Applied, long PeakRssBytes, long Sent, long AppliedCount, long DeadLettered, bool Balanced, string Settings,
        IReadOnlyList<StageBreakdown.Stage> Stages, IReadOnlyDictionary<string, double> CpuSeconds);

    public sealed record ScaleOutResult(IReadOnlyList<Result> ByWorkers, int Events, bool Balanced, string Settings)
    {
        /// <summary>Throughput with <paramref name="workers"/> processes ÷ with one.</summary>
        public double Ratio(int workers) => ByWorkers[workers - 1].Applied.PerSecond / ByWorkers[0].Applied.PerSecond;
    }

    /// <summary>P3 and P8.</summary>
    public static async Task<Result> RunAsync(int events, int locations, string workerDll, Progress progress)
    {
        var settings = $"quorum queues, {events:N0} upserts over {locations} locations (rate over the last {events - (events / 5):N0}, after a warm-up), sandbox limit off and latency 0, worker limit off, worker defaults, PostgreSQL on loopback without TLS";
        return await DrainAsync(events, locations, workers: 1, latencyMs: 0, fromAllReady: false, workerDll, settings, progress);
    }

    /// <summary>P6: the same backlog drained by 1, 2, …, <paramref name="maxWorkers"/> workers.</summary>
    public static async Task<ScaleOutResult> ScaleOutAsync(int events, int locations, int maxWorkers, string workerDll, Progress progress)
    {
        var settings = $"{events:N0} upserts pre-queued over {locations} locations per run, sandbox latency 50 ms, sandbox and worker limits off, worker defaults (16 concurrent webhooks each), fresh vhost+database per run, PostgreSQL on loopback without TLS, timed once every worker is ready and a fifth of what is left then is applied (warm-up)";
        var results = new List<Result>();
        for (var n = 1; n <= maxWorkers; n++)
        {
            var result = await DrainAsync(events, locations, n, latencyMs: 50, fromAllReady: true, workerDll, settings, progress);
            Progress.Say($"P6 with {n} worker(s): {result.Applied.PerSecond:N0} upserts/s, ledger {(result.Balanced ? "balanced" : "NOT balanced")}");
            results.Add(result);
        }

        return new ScaleOutResult(results, events, results.All(r => r.Balanced), settings);
    }

    // The clock starts once the first fifth of the backlog is applied (the JIT has tiered the hot path up, the pools are
    // full; in P3 the CPU split and the stage breakdown cover the same stretch). For P6 the fifth is counted from the
    // moment every worker is ready, of what is left then: workers that start one after another would otherwise be timed
    // partly as fewer, and workers still compiling their hot path, several at once on the same cores, as slower.
    private static async Task<Result> DrainAsync(
        int events, int locations, int workers, int latencyMs, bool fromAllReady, string workerDll, string settings, Progress progress)
    {
        await using var rig = await BenchRig.CreateAsync();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { RateLimit = { Enabled = false }, Faults = { LatencyMilliseconds = latencyMs } });
        for (var l = 0; l < locations; l++)
        {
            var location = BenchRig.LocationId(l);
            await rig.InstallAsync(location, sandbox.State.Tokens.RegisterPrivateToken(location).Token);
        }

        await rig.PreQueueAsync(Upserts(events, locations), "queueing upserts", progress);

        var processes = WorkerProcess.Start(workers, workerDll, rig, sandbox, rateLimited: false);
        try
        {
            Stopwatch? clock = null;
            long appliedAtStart = 0;
            var warmUp = Math.Max(1, events / 5);
            CpuMeter? cpu = null;
            IReadOnlyDictionary<string, double> cpuSeconds = new Dictionary<string, double>();
            string? metricsAtStart = null;
            if (fromAllReady)
            {
                // Every worker is up; the first fifth of what is left then warms them all up before the clock starts.
                await WorkerProcess.WaitReadyAsync(processes);
                var appliedAtReady = sandbox.State.Contacts.Count;
                warmUp = appliedAtReady + Math.Max(1, (events - appliedAtReady) / 5);
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
            long applied = 0;
            var stage = workers == 1 ? "worker drains upserts" : $"{workers} workers drain upserts";
            while (DateTime.UtcNow < deadline && processes.All(p => !p.HasExited))
            {
                applied = sandbox.State.Contacts.Count;
                if (applied >= warmUp && clock is null)
                {
                    clock = Stopwatch.StartNew();
                    appliedAtStart = applied;
                }

                if (clock is not null && cpu is null)
                {
                    cpu = CpuMeter.Start(() => processes.Select(p => p.Pid));
                    metricsAtStart = workers == 1 ? await TryMetricsAsync(processes[0]) : null;
                }

                progress.Report(stage, applied, events);
                if (applied >= events)
                {
                    cpuSeconds = cpu?.Stop() ?? cpuSeconds;
                    break;
                }

                await Task.Delay(50);
            }

            var seconds = clock?.Elapsed.TotalSeconds ?? double.NaN;
            var peakRss = processes.Max(p => p.PeakRssBytes);
            var metricsAtEnd = workers == 1 ? await TryMetricsAsync(processes[0]) : null;
            IReadOnlyList<StageBreakdown.Stage> stages = metricsAtStart is null || metricsAtEnd is null
                ? []
                : StageBreakdown.Between(StageBreakdown.Parse(metricsAtStart), StageBreakdown.Parse(metricsAtEnd));
            foreach (var process in processes)
            {
                process.Kill();
            }

            var deadLettered = await rig.MessageCountAsync(BenchRig.DeadLetterQueues);
            var balanced = applied + deadLettered == events;
            return new Result(new Measurement((applied - appliedAtStart) / seconds, applied - appliedAtStart, seconds), peakRss, events, applied, deadLettered, balanced, settings,
                stages, cpuSeconds);
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    private static async Task<string?> TryMetricsAsync(WorkerProcess worker)
    {
        try
        {
            return await worker.MetricsAsync();
        }
        catch (HttpRequestException ex)
        {
            Progress.Say($"the worker's /metrics could not be read ({ex.Message}): no stage breakdown");
            return null;
        }
    }

    /// <summary>Upserts of distinct contacts, round-robin over the locations.</summary>
    public static List<SourceEvent> Upserts(int events, int locations, string prefix = "bench")
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return [.. Enumerable.Range(0, events).Select(i => new SourceEvent(SourceEventTypes.Upserted, $"{prefix}-{i:D7}", t0.AddMilliseconds(i),
            BenchRig.LocationId(i % locations), new SourceContact { Email = $"{prefix}{i:D7}@example.com", FirstName = "Bench", LastName = $"No{i}" }, null))];
    }
}
