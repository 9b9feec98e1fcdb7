using System.Diagnostics;
using Sync.Emitter;
using Sync.Sandbox;

namespace Sync.Benchmarks;

/// <summary>
/// P3, P8 and P6: upsert events pre-queued on the worker's queue (as the ingress publishes them), then applied by
/// worker processes (the built Sync.Worker) against the sandbox with its rate limit off and the worker's own limit off.
/// P3 and P8: one worker drains the backlog, sandbox latency 0; applied/s after a warm-up to the last contact, and the
/// worker's peak RSS. P6: 1, 2 and 3 workers, sandbox latency 50 ms, a fresh virtual host and database each; applied/s
/// over a fixed window once the workers have warmed up.
/// </summary>
internal static class WorkerThroughput
{
    public sealed record Result(Measurement Applied, long PeakRssBytes, long Sent, long AppliedCount, long DeadLettered, bool Balanced, string Settings,
        IReadOnlyList<StageBreakdown.Stage> Stages, IReadOnlyDictionary<string, double> CpuSeconds, Ledger? Ledger = null);

    public sealed record ScaleOutResult(IReadOnlyList<Result> ByWorkers, int Events, bool Balanced, string Settings)
    {
        /// <summary>Throughput with <paramref name="workers"/> processes ÷ with one.</summary>
        public double Ratio(int workers) => ByWorkers[workers - 1].Applied.PerSecond / ByWorkers[0].Applied.PerSecond;
    }

    /// <summary>P3 and P8.</summary>
    public static async Task<Result> RunAsync(int events, int warmUp, int locations, string workerDll, Progress progress)
    {
        var settings = $"quorum queues, {events:N0} upserts over {locations} locations behind {warmUp:N0} more for the warm-up (the clock starts once half of those are applied and the worker's JIT is idle, at the latest once all are; rate to the last), sandbox limit off and latency 0, worker limit off, worker defaults, PostgreSQL on loopback without TLS";
        return await DrainAsync(events, warmUp, locations, workerDll, settings, progress);
    }

    /// <summary>
    /// The settings of each P6 worker: a few concurrent webhooks, so that three workers at the sandbox's 50 ms stay under
    /// this machine's CPU ceiling and the figure measures what it is for (does another process add its share, or do
    /// the processes contend for something they share: the database, the queue, the schedule) rather than how many
    /// cores the machine has. With the defaults (16 + 8) one worker alone keeps two cores 83–89 % busy (P3).
    /// </summary>
    private static readonly Dictionary<string, string> ScaleOutWorkerSettings = new(StringComparer.Ordinal)
    {
        ["Sync__Worker__WebhookConcurrency"] = "4",
        ["Sync__Worker__WebhookPrefetch"] = "8",
        ["Sync__Worker__BacklogConcurrency"] = "4",
        ["Sync__Worker__BacklogPrefetch"] = "8",
    };

    /// <summary>
    /// P6: the rate of 1, 2, …, <paramref name="maxWorkers"/> worker processes over a fixed window, each run on a fresh
    /// virtual host and database with a backlog larger than the run can apply. The window opens once every worker is
    /// ready and has stopped compiling (its JIT idle for two seconds in a row, at most <paramref name="settleLimit"/>):
    /// a worker spends several seconds of CPU tiering its hot path up, and three doing it at once on two cores would be
    /// timed as slower. The workers are then stopped gracefully and the run balances by event id (sent = applied +
    /// dead-lettered + still queued).
    /// </summary>
    public static async Task<ScaleOutResult> ScaleOutAsync(
        int locations, int maxWorkers, TimeSpan window, TimeSpan settleLimit, string workerDll, Progress progress)
    {
        // Each location's events within its lane burst, so they all go to the work queue (one lane, one rate).
        var events = locations * 100;
        var settings = $"{events:N0} upserts pre-queued over {locations} locations per run (all within the work queue's per-location burst), " +
                       $"sandbox latency 50 ms, sandbox and worker limits off, each worker 4 concurrent webhooks (prefetch 8; defaults 16 and 32), " +
                       $"fresh vhost+database per run, PostgreSQL on loopback without TLS; applied contacts counted over {window.TotalSeconds:0} s " +
                       $"once every worker is ready and its JIT idle (at most {settleLimit.TotalSeconds:0} s), then the workers stopped and the run accounted by event id";
        var results = new List<Result>();
        for (var n = 1; n <= maxWorkers; n++)
        {
            var result = await ScaleOutRunAsync(events, locations, n, window, settleLimit, workerDll, settings, progress);
            Progress.Say($"P6 with {n} worker(s): {result.Applied.PerSecond:N0} upserts/s, ledger {(result.Balanced ? "balanced" : "NOT balanced")}");
            results.Add(result);
        }

        return new ScaleOutResult(results, events, results.All(r => r.Balanced), settings);
    }

    private static async Task<Result> ScaleOutRunAsync(
        int events, int locations, int workers, TimeSpan window, TimeSpan settleLimit, string workerDll, string settings, Progress progress)
    {
        await using var rig = await BenchRig.CreateAsync();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { RateLimit = { Enabled = false }, Faults = { LatencyMilliseconds = 50 } });
        for (var l = 0; l < locations; l++)
        {
            var location = BenchRig.LocationId(l);
            await rig.InstallAsync(location, sandbox.State.Tokens.RegisterPrivateToken(location).Token);
        }

        var backlog = Upserts(events, locations, $"p6n{workers}");
        await rig.PreQueueAsync(backlog, $"P6 with {workers}: queueing upserts", progress);
        var processes = WorkerProcess.Start(workers, workerDll, rig, sandbox, rateLimited: false, ScaleOutWorkerSettings);
        try
        {
            await WorkerProcess.WaitReadyAsync(processes);
            var settled = await WaitForJitToSettleAsync(processes, settleLimit);
            Progress.Say(settled is { } took
                ? $"P6 with {workers}: every worker's JIT idle after {took.TotalSeconds:0.#} s; counting for {window.TotalSeconds:0} s"
                : $"P6 with {workers}: a worker was still compiling after {settleLimit.TotalSeconds:0} s; counting for {window.TotalSeconds:0} s all the same");

            var cpu = CpuMeter.Start(() => processes.Select(p => p.Pid));
            var atStart = sandbox.State.Contacts.Count;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < window && processes.All(p => !p.HasExited))
            {
                progress.Report($"P6 with {workers}: counting", (long)clock.Elapsed.TotalSeconds, (long)window.TotalSeconds);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200, Math.Max(1, (window - clock.Elapsed).TotalMilliseconds))));
            }

            var atEnd = sandbox.State.Contacts.Count;
            var seconds = clock.Elapsed.TotalSeconds;
            var cpuSeconds = cpu.Stop();
            var peakRss = processes.Max(p => p.PeakRssBytes);
            var exited = processes.Any(p => p.HasExited);
            foreach (var process in processes)
            {
                await process.StopAsync();
            }

            var ledger = await rig.AccountAsync(backlog, sandbox, locations);
            // A run whose backlog ran out inside the window measured the backlog, not the workers: void.
            var ranDry = atEnd >= events;
            if (ranDry || exited)
            {
                Progress.Say($"P6 with {workers}: void ({(exited ? "a worker exited" : "the backlog ran out inside the window")})");
            }

            return new Result(new Measurement((atEnd - atStart) / seconds, atEnd - atStart, seconds), peakRss, ledger.Sent, ledger.Applied,
                ledger.DeadLettered, ledger.Balanced && !ranDry && !exited, settings, [], cpuSeconds, ledger);
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    /// <summary>
    /// Waits until no worker has spent more than 50 ms a second compiling (the runtime's
    /// <c>dotnet_jit_compilation_time_seconds_total</c> on its /metrics) for two seconds in a row; the time it took, or
    /// null at <paramref name="limit"/>.
    /// </summary>
    private static async Task<TimeSpan?> WaitForJitToSettleAsync(IReadOnlyList<WorkerProcess> processes, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var jit = new JitWatch();
        jit.Observe(await JitSecondsAsync(processes));
        while (clock.Elapsed < limit)
        {
            await Task.Delay(1_000);
            jit.Observe(await JitSecondsAsync(processes));
            if (jit.Idle)
            {
                return clock.Elapsed;
            }
        }

        return null;
    }

    private static async Task<double[]> JitSecondsAsync(IReadOnlyList<WorkerProcess> processes) =>
        await Task.WhenAll(processes.Select(async p => JitWatch.CompiledSeconds(await p.MetricsAsync())));

    // The measured events queue behind a warm-up's: the clock starts once half of the warm-up is applied (the pools are
    // full) and the worker's JIT has been idle for two seconds in a row (its hot path tiered up, and the sandbox's in the
    // harness with it), or once the whole warm-up is applied; the rate is of the rest, so of at least the measured
    // events. The CPU split and the stage breakdown cover the same stretch.
    private static async Task<Result> DrainAsync(int measured, int warmUpEvents, int locations, string workerDll, string settings, Progress progress)
    {
        var events = measured + warmUpEvents;
        await using var rig = await BenchRig.CreateAsync();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions { RateLimit = { Enabled = false }, Faults = { LatencyMilliseconds = 0 } });
        for (var l = 0; l < locations; l++)
        {
            var location = BenchRig.LocationId(l);
            await rig.InstallAsync(location, sandbox.State.Tokens.RegisterPrivateToken(location).Token);
        }

        await rig.PreQueueAsync(Upserts(events, locations), "queueing upserts", progress);

        var processes = WorkerProcess.Start(1, workerDll, rig, sandbox, rateLimited: false);
        try
        {
            Stopwatch? clock = null;
            long appliedAtStart = 0;
            var warmUp = Math.Max(1, warmUpEvents / 2);
            CpuMeter? cpu = null;
            IReadOnlyDictionary<string, double> cpuSeconds = new Dictionary<string, double>();
            string? metricsAtStart = null;

            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
            long applied = 0;
            const string stage = "worker drains upserts";
            var jit = new JitWatch();
            var nextJitRead = Stopwatch.StartNew();
            Task<double[]>? jitRead = null;
            while (DateTime.UtcNow < deadline && processes.All(p => !p.HasExited))
            {
                applied = sandbox.State.Contacts.Count;
                if (applied >= warmUp && clock is null)
                {
                    // Past the first fifth: once a second, how long the worker has spent compiling since the last read,
                    // read beside this loop (a scrape can take longer than the rest of a small backlog).
                    if (jitRead is { IsCompleted: true })
                    {
                        jit.Observe(await jitRead);
                        jitRead = null;
                    }

                    if (jitRead is null && nextJitRead.Elapsed >= TimeSpan.FromSeconds(1))
                    {
                        jitRead = JitSecondsAsync(processes);
                        nextJitRead.Restart();
                    }
                }

                if (clock is null && ((jit.Idle && applied >= warmUp) || applied >= warmUpEvents))
                {
                    clock = Stopwatch.StartNew();
                    appliedAtStart = applied;
                    Progress.Say(jit.Idle
                        ? $"the worker's JIT idle at {applied:N0} applied; timing the rest"
                        : $"the worker still compiling at the end of the warm-up ({applied:N0} applied); timing the rest all the same");
                }

                if (clock is not null && cpu is null)
                {
                    cpu = CpuMeter.Start(() => processes.Select(p => p.Pid));
                    metricsAtStart = await TryMetricsAsync(processes[0]);
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
            var metricsAtEnd = await TryMetricsAsync(processes[0]);
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
