using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sync.Admin.Tests.Import;

/// <summary>
/// How much a 100,000-row import holds: the managed heap sampled every 20 ms (and, collected first, every 200 ms) while <c>sync-admin import</c> enqueues into
/// a real PostgreSQL (no worker: only the admin process's side). Explicit: it measures, it does not judge; the figure is
/// in docs/operations.md. Run with <c>dotnet test tests/Sync.Admin.Tests --filter Name~Should_hold_a_few_MB</c>.
/// </summary>
[Explicit("A measurement for the docs, not a check.")]
public sealed class When_measuring_a_large_Import
{
    [Test]
    public async Task Should_hold_a_few_MB_while_importing_100000_rows()
    {
        await using var database = await AdminTestDatabase.CreateAsync();
        await database.SeedInstallationAsync("ImportMemory00000001");
        var path = Path.Combine(Path.GetTempPath(), $"sync-import-100k-{Guid.NewGuid():N}.csv");
        await using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            await writer.WriteLineAsync("email,phone,firstName,lastName,companyName,tags");
            for (var i = 0; i < 100_000; i++)
            {
                await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"p{i}@example.com,+1555{i:D7},First{i},Last{i},\"Company, {i}\",a;b"));
            }
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0, peakLive = 0;
        var samples = 0;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false) - baseline);

                // Every 10th sample collects first: what is live (reachable), not garbage waiting for the collector.
                if (++samples % 10 == 0)
                {
                    peakLive = Math.Max(peakLive, GC.GetTotalMemory(forceFullCollection: true) - baseline);
                }

                await Task.Delay(20);
            }
        });

        var clock = Stopwatch.StartNew();
        var result = await database.RunAsync("import", "--location", "ImportMemory00000001", "--file", path);
        clock.Stop();
        await stop.CancelAsync();
        await sampler;
        var retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        File.Delete(path);
        var outboxRows = await database.ScalarAsync<long>("SELECT count(*) FROM sync.outbox");

        await TestContext.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"100,000 rows in {clock.Elapsed.TotalSeconds:0.0} s; managed heap above baseline: peak {peak / 1024.0 / 1024:0.0} MB with garbage, peak live {peakLive / 1024.0 / 1024:0.0} MB, after {retained / 1024.0 / 1024:0.0} MB; " +
            $"process peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024.0 / 1024:0} MB; outbox rows {outboxRows}"));
        Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
    }
}
