using System.Diagnostics;
using Sync.Sandbox;

namespace Sync.Benchmarks;

/// <summary>
/// P4: how much of the API's budget the workers use. A backlog of upserts for several locations, drained by two worker
/// processes with their own (shared, database-kept) limiter on, against the sandbox with its sliding per-location limit
/// on. Successful calls per second over a steady window that starts a whole number of intervals after the first call,
/// divided by the limit summed over the locations; the share of calls answered 429 in that window.
/// </summary>
internal static class ApiBudget
{
    public sealed record Result(
        double CallsPerSecond, double LimitPerSecond, long Calls, long RateLimited, double WindowSeconds, long SlotsMissed,
        Ledger Ledger, string Settings)
    {
        public double Ratio => CallsPerSecond / LimitPerSecond;

        public double RateLimitedShare => Calls == 0 ? 0 : (double)RateLimited / Calls;
    }

    /// <param name="locations">Locations with a backlog each.</param>
    /// <param name="workers">Worker processes.</param>
    /// <param name="limit">Calls per interval per location (the sandbox's <c>BurstLimit</c>).</param>
    /// <param name="intervalMs">The sandbox's burst interval.</param>
    /// <param name="skipIntervals">Whole intervals skipped after the first call (the first burst, the workers learning the limit).</param>
    /// <param name="windowIntervals">Whole intervals measured.</param>
    /// <param name="workerDll">The built worker.</param>
    /// <param name="progress">Progress on stderr.</param>
    public static async Task<Result> RunAsync(
        int locations, int workers, int limit, int intervalMs, int skipIntervals, int windowIntervals, string workerDll, Progress progress)
    {
        await using var rig = await BenchRig.CreateAsync();
        await using var sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            RateLimit = { Enabled = true, BurstLimit = limit, BurstIntervalMilliseconds = intervalMs, Window = RateLimitWindow.Sliding },
        });
        for (var l = 0; l < locations; l++)
        {
            var location = BenchRig.LocationId(l);
            await rig.InstallAsync(location, sandbox.State.Tokens.RegisterPrivateToken(location).Token);
        }

        // Enough that no location runs dry before the window ends: the first burst, then the limit's rate, and half again.
        var perSecond = limit * 1000.0 / intervalMs;
        var seconds = (skipIntervals + windowIntervals) * intervalMs / 1000.0;
        var perLocation = (int)Math.Ceiling((limit + perSecond * seconds) * 1.5);
        var events = perLocation * locations;
        var settings = $"{events:N0} upserts pre-queued over {locations} locations, {workers} worker processes (own limiter on, defaults), " +
                       $"sandbox limit {limit} per {intervalMs / 1000.0:0.#} s sliding per location{(limit == 100 && intervalMs == 10_000 ? " (the real one)" : " (scaled down from the real 100 per 10 s; the workers told the same at start)")}, " +
                       $"window {windowIntervals} intervals after skipping {skipIntervals}";
        var backlog = WorkerThroughput.Upserts(events, locations);
        await rig.PreQueueAsync(backlog, "P4: queueing upserts", progress);

        // A scaled-down limit is also the workers' starting assumption (their default is the real one, until the API's
        // headers say otherwise), so the run measures pacing, not how fast a limit is learned.
        var real = limit == 100 && intervalMs == 10_000;
        var assumed = real ? null : new Dictionary<string, string>
        {
            ["Sync__HoopAi__RateLimitMax"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Sync__HoopAi__RateLimitInterval"] = TimeSpan.FromMilliseconds(intervalMs).ToString("c", System.Globalization.CultureInfo.InvariantCulture),
        };
        var processes = WorkerProcess.Start(workers, workerDll, rig, sandbox, rateLimited: true, assumed);
        try
        {
            while (Calls(sandbox).All == 0 && processes.All(p => !p.HasExited))
            {
                await Task.Delay(20);
            }

            var clock = Stopwatch.StartNew();
            var skip = TimeSpan.FromMilliseconds(skipIntervals * intervalMs);
            var end = skip + TimeSpan.FromMilliseconds(windowIntervals * intervalMs);
            Progress.Say($"P4: first call seen; measuring from {skip.TotalSeconds:0.#} s to {end.TotalSeconds:0.#} s");
            await Task.Delay(skip - clock.Elapsed);
            var start = Calls(sandbox);
            var startAt = clock.Elapsed;
            await Task.Delay(end - clock.Elapsed);
            var stop = Calls(sandbox);
            var window = (clock.Elapsed - startAt).TotalSeconds;
            var missed = (long)await WorkerProcess.SumAsync(processes, "sync_api_slots_missed_total");

            foreach (var process in processes)
            {
                await process.StopAsync();
            }

            var ledger = await rig.AccountAsync(backlog, sandbox, locations);
            var ok = stop.Ok - start.Ok;
            return new Result(ok / window, perSecond * locations, stop.All - start.All, stop.RateLimited - start.RateLimited, window, missed, ledger, settings);
        }
        finally
        {
            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    private static (long All, long Ok, long RateLimited) Calls(SandboxServer sandbox)
    {
        var counts = sandbox.State.Requests.Snapshot();
        return (counts.Sum(c => c.Count), counts.Where(c => c.Status is >= 200 and < 300).Sum(c => c.Count), counts.Where(c => c.Status == 429).Sum(c => c.Count));
    }
}
