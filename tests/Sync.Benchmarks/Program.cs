using System.Globalization;
using System.Text.Json;
using Sync.Benchmarks;

// Sync's benchmark harness (docs/benchmarks.md): baselines and figures measured in one run, each figure a ratio
// against a baseline of the same run. `--quick` (under 3 minutes), `--smoke` (seconds: checks the harness works, not
// the numbers), `--out FILE.json`. Needs RabbitMQ and PostgreSQL (infra/services.sh up) and a Release build.
var mode = args.Contains("--smoke") ? "smoke" : args.Contains("--full") ? "full" : "quick";
var outFile = ArgValue("--out") ?? Path.Combine(Environment.CurrentDirectory, $"benchmark-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
var (messages, upserts, locations, webhooks) = mode switch
{
    "smoke" => (500, 200, 4, 200),
    "full" => (100_000, 50_000, 20, 20_000),
    _ => (20_000, 10_000, 20, 5_000),
};
Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
var workerDll = FindHost("Sync.Worker");
var ingressDll = FindHost("Sync.Ingress");
var progress = new Progress();
Progress.Say($"mode {mode}: {messages:N0} baseline messages, {upserts:N0} upserts over {locations} locations; worker {workerDll}");

var raw = await Baselines.RawBrokerAsync(messages, 128, 1024, progress);
Progress.Say($"raw broker: {raw.PerSecond:N0} msg/s");
var bare = await Baselines.BareMassTransitAsync(messages, 128, 1024, progress);
Progress.Say($"bare MassTransit: {bare.PerSecond:N0} msg/s");
var ingress = await IngressThroughput.RunAsync(webhooks, ingressDll, progress);
Progress.Say($"ingress: {ingress.Up.PerSecond:N0}/s accepted with the broker up, {ingress.Down.PerSecond:N0}/s with it unreachable; relay {ingress.Relay.PerSecond:N0} rows/s; ledger {(ingress.Balanced ? "balanced" : "NOT balanced: the run is void")}");
var worker = await WorkerThroughput.RunAsync(upserts, locations, workerDll, progress);
Progress.Say($"worker: {worker.Applied.PerSecond:N0} upserts/s applied, peak RSS {worker.PeakRssBytes / 1048576.0:N0} MB, ledger {(worker.Balanced ? "balanced" : "NOT balanced: the run is void")}");

var rows = new List<Row>
{
    new("P0", "bare MassTransit ÷ raw broker", $"quorum, window 128, 1 KiB, {messages:N0} msgs", $"{bare.PerSecond:N0} ÷ {raw.PerSecond:N0} msg/s", bare.PerSecond / raw.PerSecond, "report"),
    new("P1", "ingress accepted/s ÷ bare MassTransit", ingress.Settings, $"{ingress.Up.PerSecond:N0} ÷ {bare.PerSecond:N0} (÷ raw {ingress.Up.PerSecond / raw.PerSecond:0.##})", ingress.Up.PerSecond / bare.PerSecond, "≥ 0.8"),
    new("P3", "upserts applied/s ÷ bare MassTransit", worker.Settings, $"{worker.Applied.PerSecond:N0} ÷ {bare.PerSecond:N0}", worker.Applied.PerSecond / bare.PerSecond, "≥ 0.5"),
    new("P7", "outbox relay rows/s ÷ raw broker", $"{ingress.Relay.Count:N0} rows spilled by the ingress, its relay, defaults", $"{ingress.Relay.PerSecond:N0} ÷ {raw.PerSecond:N0}", ingress.Relay.PerSecond / raw.PerSecond, "≥ 0.7"),
    new("P8", "worker peak RSS (MB) at P3's load", worker.Settings, $"{worker.PeakRssBytes / 1048576.0:N0} MB", worker.PeakRssBytes / 1048576.0, "≤ 250"),
    new("P10", "ingress accepted/s, broker unreachable ÷ up", ingress.Settings, $"{ingress.Down.PerSecond:N0} ÷ {ingress.Up.PerSecond:N0}", ingress.Down.PerSecond / ingress.Up.PerSecond, "≥ 0.5"),
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
Console.WriteLine($"Ledger of the ingress run: sent {ingress.Sent:N0}, answered 200 {ingress.Accepted:N0}, in the work queue {ingress.Queued:N0}, left in the outbox {ingress.LeftInOutbox:N0}: {(ingress.Balanced ? "balanced" : "NOT balanced, run void")}");
Console.WriteLine();
Console.WriteLine("Where one upsert's time goes in the worker (P3's run; mean per message, from sync_worker_stage_duration_seconds):");
Console.WriteLine();
Console.WriteLine(StageBreakdown.ToMarkdown(worker.Stages));
Console.WriteLine();
Console.WriteLine("CPU per applied upsert during P3's drain, by process: " + string.Join(", ", worker.CpuSeconds
    .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value * 1_000_000 / Math.Max(1, worker.AppliedCount):N0} µs"))));
Console.WriteLine();
Console.WriteLine($"Ledger of the worker run: sent {worker.Sent:N0}, applied {worker.AppliedCount:N0}, dead-lettered {worker.DeadLettered:N0}: {(worker.Balanced ? "balanced" : "NOT balanced, run void")}");
await File.WriteAllTextAsync(outFile, JsonSerializer.Serialize(new { mode, at = DateTime.UtcNow, cores = Environment.ProcessorCount, raw, bare, ingress, worker, rows },
    new JsonSerializerOptions { WriteIndented = true }));
Progress.Say($"wrote {outFile}");
return worker.Balanced && ingress.Balanced ? 0 : 3;

string? ArgValue(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

static string FindHost(string project)
{
    // tests/Sync.Benchmarks/bin/<Configuration>/net10.0 → the repository root, then the host built the same way.
    var here = new DirectoryInfo(AppContext.BaseDirectory);
    var configuration = here.Parent!.Name;
    var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
    var dll = Path.Combine(root, "src", project, "bin", configuration, "net10.0", project + ".dll");
    if (!File.Exists(dll))
    {
        Console.Error.WriteLine($"[bench] error: {project} is not built ({dll}); run: dotnet build Sync.sln -c {configuration}");
        Environment.Exit(1);
    }

    return dll;
}

internal sealed record Row(string Id, string Figure, string Settings, string Measured, double Value, string Goal);
