using System.Globalization;
using System.Text.Json;
using Sync.Benchmarks;

// Sync's benchmark harness (docs/benchmarks.md): baselines and figures measured in one run, each figure a ratio
// against a baseline of the same run. `--quick` (under 3 minutes), `--smoke` (seconds: checks the harness works, not
// the numbers), `--out FILE.json`. Needs RabbitMQ and PostgreSQL (infra/services.sh up) and a Release build.
var mode = args.Contains("--smoke") ? "smoke" : args.Contains("--full") ? "full" : "quick";
var outFile = ArgValue("--out") ?? Path.Combine(Environment.CurrentDirectory, $"benchmark-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
var (messages, upserts, locations) = mode switch
{
    "smoke" => (500, 200, 4),
    "full" => (100_000, 50_000, 20),
    _ => (20_000, 10_000, 20),
};
Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
var workerDll = FindWorker();
var progress = new Progress();
Progress.Say($"mode {mode}: {messages:N0} baseline messages, {upserts:N0} upserts over {locations} locations; worker {workerDll}");

var raw = await Baselines.RawBrokerAsync(messages, 128, 1024, progress);
Progress.Say($"raw broker: {raw.PerSecond:N0} msg/s");
var bare = await Baselines.BareMassTransitAsync(messages, 128, 1024, progress);
Progress.Say($"bare MassTransit: {bare.PerSecond:N0} msg/s");
var worker = await WorkerThroughput.RunAsync(upserts, locations, workerDll, progress);
Progress.Say($"worker: {worker.Applied.PerSecond:N0} upserts/s applied, peak RSS {worker.PeakRssBytes / 1048576.0:N0} MB, ledger {(worker.Balanced ? "balanced" : "NOT balanced: the run is void")}");

var rows = new List<Row>
{
    new("P0", "bare MassTransit ÷ raw broker", $"quorum, window 128, 1 KiB, {messages:N0} msgs", $"{bare.PerSecond:N0} ÷ {raw.PerSecond:N0} msg/s", bare.PerSecond / raw.PerSecond, "report"),
    new("P3", "upserts applied/s ÷ bare MassTransit", worker.Settings, $"{worker.Applied.PerSecond:N0} ÷ {bare.PerSecond:N0}", worker.Applied.PerSecond / bare.PerSecond, "≥ 0.5"),
    new("P8", "worker peak RSS (MB) at P3's load", worker.Settings, $"{worker.PeakRssBytes / 1048576.0:N0} MB", worker.PeakRssBytes / 1048576.0, "≤ 250"),
};

Console.WriteLine($"Sync benchmarks, {mode} mode, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
Console.WriteLine();
Console.WriteLine("| id | figure | settings | measured | goal | ratio |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var row in rows)
{
    Console.WriteLine($"| {row.Id} | {row.Figure} | {row.Settings} | {row.Measured} | {row.Goal} | {row.Value.ToString("0.###", CultureInfo.InvariantCulture)} |");
}

Console.WriteLine();
Console.WriteLine($"Ledger of the worker run: sent {worker.Sent:N0}, applied {worker.AppliedCount:N0}, dead-lettered {worker.DeadLettered:N0}: {(worker.Balanced ? "balanced" : "NOT balanced, run void")}");
await File.WriteAllTextAsync(outFile, JsonSerializer.Serialize(new { mode, at = DateTime.UtcNow, cores = Environment.ProcessorCount, raw, bare, worker, rows },
    new JsonSerializerOptions { WriteIndented = true }));
Progress.Say($"wrote {outFile}");
return worker.Balanced ? 0 : 3;

string? ArgValue(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

static string FindWorker()
{
    // tests/Sync.Benchmarks/bin/<Configuration>/net10.0 → the repository root, then the worker built the same way.
    var here = new DirectoryInfo(AppContext.BaseDirectory);
    var configuration = here.Parent!.Name;
    var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
    var dll = Path.Combine(root, "src", "Sync.Worker", "bin", configuration, "net10.0", "Sync.Worker.dll");
    if (!File.Exists(dll))
    {
        Console.Error.WriteLine($"[bench] error: the worker is not built ({dll}); run: dotnet build Sync.sln -c {configuration}");
        Environment.Exit(1);
    }

    return dll;
}

internal sealed record Row(string Id, string Figure, string Settings, string Measured, double Value, string Goal);
