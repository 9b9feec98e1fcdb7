using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sync.Benchmarks;
using Sync.Testing;

// Sync's benchmark harness (docs/benchmarks.md): baselines and figures measured in one run, each figure a ratio
// against a baseline of the same run. `--quick` (under 3 minutes), `--smoke` (about a minute: checks the harness works,
// not the numbers), `--full`, `--out FILE.json`, `--only STAGE,...` (ingress, worker, budget, tags, scale-out, fairness). Needs RabbitMQ and PostgreSQL (infra/services.sh up) and a Release build.
var mode = args.Contains("--smoke") ? "smoke" : args.Contains("--full") ? "full" : "quick";
// `--only ingress,worker,...`: only those stages (the baselines always run: every figure is a ratio against them).
string[] stages = ["ingress", "worker", "budget", "tags", "scale-out", "fairness"];
var only = ArgValue("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
if (only is not null && (only.Length == 0 || only.Except(stages, StringComparer.Ordinal).Any()))
{
    Console.Error.WriteLine($"[bench] error: --only takes a comma-separated list of {string.Join(", ", stages)}; got '{ArgValue("--only")}'");
    return 1;
}

var outFile = ArgValue("--out") ?? Path.Combine(Environment.CurrentDirectory, $"benchmark-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
var size = mode switch
{
    "smoke" => new Sizes(Messages: 300, Upserts: 100, Locations: 4, Webhooks: 100, IngressWarmUpSeconds: 2, BudgetLimit: 20, BudgetIntervalMs: 2_000, BudgetSkip: 1, BudgetWindow: 1,
        TagEvents: 100, ScaleOutLocations: 20, ScaleOutSeconds: 2, ScaleOutSettleSeconds: 5, Backlog: 300, QuietSeconds: 2, RelayRows: 100, WorkerWarmUp: 100),
    "full" => new Sizes(100_000, 50_000, 20, 20_000, 30, 100, 10_000, 1, 3, 5_000, 150, 30, 60, 5_000, 60, 20_000, 20_000),
    _ => new Sizes(4_000, 10_000, 20, 1_500, 8, 100, 10_000, 1, 1, 1_000, 60, 5, 20, 5_000, 6, 10_000, 20_000),
};
Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");
var workerDll = FindHost("Sync.Worker");
var ingressDll = FindHost("Sync.Ingress");
var progress = new Progress();
Progress.Say($"mode {mode}: {size}; worker {workerDll}");

var raw = await Baselines.RawBrokerAsync(size.Messages, 128, 1024, progress);
Progress.Say($"raw broker: {raw.PerSecond:N0} msg/s");
var bare = await Baselines.BareMassTransitAsync(size.Messages, 128, 1024, progress);
Progress.Say($"bare MassTransit: {bare.PerSecond:N0} msg/s");
var ingress = Runs("ingress") ? await IngressThroughput.RunAsync(size.Webhooks, size.RelayRows, TimeSpan.FromSeconds(size.IngressWarmUpSeconds), ingressDll, progress) : null;
if (ingress is not null)
{
    Progress.Say($"ingress: {ingress.Up.PerSecond:N0}/s accepted with the broker up, {ingress.Down.PerSecond:N0}/s with it unreachable; relay {ingress.Relay.PerSecond:N0} rows/s; ledger {Verdict(ingress.Balanced)}");
}

var worker = Runs("worker") ? await WorkerThroughput.RunAsync(size.Upserts, size.WorkerWarmUp, size.Locations, workerDll, progress) : null;
if (worker is not null)
{
    Progress.Say($"worker: {worker.Applied.PerSecond:N0} upserts/s applied, peak RSS {worker.PeakRssBytes / 1048576.0:N0} MB, ledger {Verdict(worker.Balanced)}");
}

var budget = Runs("budget") ? await ApiBudget.RunAsync(4, 2, size.BudgetLimit, size.BudgetIntervalMs, size.BudgetSkip, size.BudgetWindow, workerDll, progress) : null;
if (budget is not null)
{
    Progress.Say($"P4: {budget.CallsPerSecond:N1} successful calls/s of {budget.LimitPerSecond:N0}, 429s {budget.RateLimitedShare:P2}, ledger {Verdict(budget.Ledger.Balanced)}");
}

var tags = Runs("tags") ? await TagBatchFill.RunAsync(size.TagEvents, 4, workerDll, progress) : null;
if (tags is not null)
{
    Progress.Say($"P5: {tags.ContactsPerCall:N1} contacts per bulk call over {tags.BulkCalls:N0} calls, ledger {Verdict(tags.Balanced)}");
}

var scaleOut = Runs("scale-out")
    ? await WorkerThroughput.ScaleOutAsync(size.ScaleOutLocations, 3, TimeSpan.FromSeconds(size.ScaleOutSeconds), TimeSpan.FromSeconds(size.ScaleOutSettleSeconds), workerDll, progress)
    : null;
var fairness = Runs("fairness") ? await Fairness.RunAsync(size.Backlog, TimeSpan.FromSeconds(size.QuietSeconds), workerDll, progress) : null;
if (fairness is not null)
{
    Progress.Say($"P9: quiet events p50 {Ms(fairness.P50Ms)}, p99 {Ms(fairness.P99Ms)}, max {Ms(fairness.MaxMs)}, ledger {Verdict(fairness.Ledger.Balanced)}");
}

var rows = new List<Row>
{
    new("P0", "bare MassTransit ÷ raw broker", $"quorum, window 128, 1 KiB, {size.Messages:N0} msgs", $"{bare.PerSecond:N0} ÷ {raw.PerSecond:N0} msg/s", bare.PerSecond / raw.PerSecond, "report"),
};
if (ingress is not null)
{
    rows.Add(new("P1", "ingress accepted/s ÷ bare MassTransit", ingress.Settings, $"{ingress.Up.PerSecond:N0} ÷ {bare.PerSecond:N0} (÷ raw {ingress.Up.PerSecond / raw.PerSecond:0.##})", ingress.Up.PerSecond / bare.PerSecond, "≥ 0.8"));
    rows.Add(new("P2", "ingress p99 latency ÷ bare Kestrel p99, open-loop at half P1's peak", ingress.LatencySettings,
        $"p99 {ingress.Latency.P99:N1} ÷ {ingress.Kestrel.P99:N1} ms (p50 {ingress.Latency.P50:N1} ÷ {ingress.Kestrel.P50:N1}, max {ingress.Latency.Max:N0} ÷ {ingress.Kestrel.Max:N0})",
        ingress.Latency.P99 / ingress.Kestrel.P99, "report"));
}

if (worker is not null)
{
    rows.Add(new("P3", "upserts applied/s ÷ bare MassTransit", worker.Settings, $"{worker.Applied.PerSecond:N0} ÷ {bare.PerSecond:N0}", worker.Applied.PerSecond / bare.PerSecond, "≥ 0.5"));
}

if (budget is not null)
{
    rows.Add(new("P4", "successful API calls/s ÷ per-location limit × locations", budget.Settings,
        $"{budget.CallsPerSecond:N1} ÷ {budget.LimitPerSecond:N0} calls/s over {budget.WindowSeconds:N1} s; 429s {budget.RateLimited:N0} of {budget.Calls:N0} calls ({budget.RateLimitedShare:P2})",
        budget.Ratio, "≥ 0.95, 429s ≤ 0.5%"));
}

if (tags is not null)
{
    rows.Add(new("P5", "contacts per bulk tag call ÷ bulk maximum", tags.Settings,
        $"{tags.ContactsPerCall:N1} ÷ {tags.BulkMaximum} ({tags.Tagged:N0} contacts in {tags.BulkCalls:N0} calls; {tags.CommandsPerBatch:N1} commands per batch)",
        tags.Ratio, "≥ 0.9"));
}

var scale = scaleOut?.ByWorkers ?? [];
if (scaleOut is not null)
{
    rows.Add(new("P6 N=2", "upserts/s with 2 worker processes ÷ with 1", scaleOut.Settings, $"{scale[1].Applied.PerSecond:N0} ÷ {scale[0].Applied.PerSecond:N0}", scaleOut.Ratio(2), "≥ 1.8"));
    rows.Add(new("P6 N=3", "upserts/s with 3 worker processes ÷ with 1", scaleOut.Settings, $"{scale[2].Applied.PerSecond:N0} ÷ {scale[0].Applied.PerSecond:N0}", scaleOut.Ratio(3), "≥ 2.7"));
}

if (ingress is not null)
{
    rows.Add(new("P7", "outbox relay rows/s ÷ raw broker", $"{ingress.Relay.Count:N0} rows spilled by the ingress (P10's and more with the broker still cut), its relay, defaults", $"{ingress.Relay.PerSecond:N0} ÷ {raw.PerSecond:N0}", ingress.Relay.PerSecond / raw.PerSecond, "≥ 0.7"));
}

if (worker is not null)
{
    rows.Add(new("P8", "worker peak RSS (MB) at P3's load", worker.Settings, $"{worker.PeakRssBytes / 1048576.0:N0} MB", worker.PeakRssBytes / 1048576.0, "≤ 250"));
}

if (fairness is not null)
{
    rows.Add(new("P9", "p99 (s) of t0 → applied for quiet locations' events beside a backlog", fairness.Settings,
        $"p50 {Ms(fairness.P50Ms)}, max {Ms(fairness.MaxMs)}; {fairness.QuietApplied:N0} of {fairness.QuietSent:N0} quiet events applied by the end (the rest count as infinitely late)",
        fairness.P99Ms / 1000, "< 2"));
}

if (ingress is not null)
{
    rows.Add(new("P10", "ingress accepted/s, broker unreachable ÷ up", ingress.Settings, $"{ingress.Down.PerSecond:N0} ÷ {ingress.Up.PerSecond:N0}", ingress.Down.PerSecond / ingress.Up.PerSecond, "≥ 0.5"));
}

Console.WriteLine($"Sync benchmarks, {mode} mode, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
Console.WriteLine();
Console.WriteLine("| id | figure | settings | measured | goal | ratio |");
Console.WriteLine("|---|---|---|---|---|---|");
foreach (var row in rows)
{
    Console.WriteLine($"| {row.Id} | {row.Figure} | {row.Settings} | {row.Measured} | {row.Goal} | {row.Value.ToString("0.###", CultureInfo.InvariantCulture)} |");
}

Console.WriteLine();
if (worker is not null)
{
    Console.WriteLine();
    Console.WriteLine("Where one upsert's time goes in the worker (P3's run after its warm-up; mean per message, from sync_worker_stage_duration_seconds):");
    Console.WriteLine();
    Console.WriteLine(StageBreakdown.ToMarkdown(worker.Stages));
    Console.WriteLine();
    Console.WriteLine("CPU per applied upsert during P3's measured drain, by process: " + CpuSplit(worker));
    Console.WriteLine();
}

if (ingress is not null)
{
    Console.WriteLine($"Ledger of the ingress run: sent {ingress.Sent:N0}, answered 200 {ingress.Accepted:N0}, refused with 429 (the sender retries) {ingress.Refused:N0}, in the work queue {ingress.Queued:N0}, left in the outbox {ingress.LeftInOutbox:N0}: {Verdict(ingress.Balanced)}");
}

if (worker is not null)
{
    Console.WriteLine($"Ledger of the worker run (P3, P8): sent {worker.Sent:N0}, applied {worker.AppliedCount:N0}, dead-lettered {worker.DeadLettered:N0}: {Verdict(worker.Balanced)}");
}

if (budget is not null)
{
    Console.WriteLine($"Ledger of the P4 run (the backlog is not meant to drain): {budget.Ledger}: {Verdict(budget.Ledger.Balanced)}");
    Console.WriteLine($"P4: API slots reserved for a message that came back too late to use them, over the whole run: {budget.SlotsMissed:N0} (sync_api_slots_missed_total)");
}

if (tags is not null)
{
    Console.WriteLine($"Ledger of the P5 run: sent {tags.Sent:N0}, tagged {tags.Tagged:N0}, dead-lettered {tags.DeadLettered:N0}: {Verdict(tags.Balanced)}");
}

for (var n = 0; n < scale.Count; n++)
{
    Console.WriteLine($"Ledger of the P6 run with {n + 1} worker(s) (the backlog is not meant to drain): {scale[n].Ledger}: {Verdict(scale[n].Balanced)}");
}

for (var n = 0; n < scale.Count; n++)
{
    Console.WriteLine($"CPU per applied upsert during P6's measured drain with {n + 1} worker(s) ({scale[n].Applied.PerSecond:N0} upserts/s), by process: {CpuSplit(scale[n])}");
}

if (fairness is not null)
{
    Console.WriteLine($"Ledger of the P9 run (the backlog cannot drain): {fairness.Ledger}: {Verdict(fairness.Ledger.Balanced)}");
}

var json = new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
await File.WriteAllTextAsync(outFile, JsonSerializer.Serialize(
    new { mode, at = DateTime.UtcNow, cores = Environment.ProcessorCount, size, raw, bare, ingress, worker, budget, tags, scaleOut, fairness, rows }, json));
Progress.Say($"wrote {outFile}");
var balanced = (ingress?.Balanced ?? true) && (worker?.Balanced ?? true) && (budget?.Ledger.Balanced ?? true) && (tags?.Balanced ?? true)
    && (scaleOut?.Balanced ?? true) && (fairness?.Ledger.Balanced ?? true);
return balanced ? 0 : 3;

string? ArgValue(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

bool Runs(string stage) => only is null || only.Contains(stage);

static string Ms(double ms) => double.IsInfinity(ms) ? "∞" : $"{ms:N0} ms";

// CPU time per applied upsert by group of processes, and how busy the whole machine was over the measured stretch.
static string CpuSplit(WorkerThroughput.Result result)
{
    var perUpsert = string.Join(", ", result.CpuSeconds.Where(c => c.Key != CpuMeter.Machine)
        .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value * 1_000_000 / Math.Max(1, result.Applied.Count):N0} µs")));
    return result.CpuSeconds.TryGetValue(CpuMeter.Machine, out var machine) && result.Applied.Seconds > 0
        ? string.Create(CultureInfo.InvariantCulture,
            $"{perUpsert}; the machine was busy {machine / (result.Applied.Seconds * Environment.ProcessorCount):P0} of {Environment.ProcessorCount} cores")
        : perUpsert;
}

static string Verdict(bool balanced) => balanced ? "balanced" : "NOT balanced, run void";

static string FindHost(string project)
{
    try
    {
        return HostProcess.FindBuilt(project);
    }
    catch (FileNotFoundException ex)
    {
        Console.Error.WriteLine($"[bench] error: {ex.Message}");
        Environment.Exit(1);
        throw;
    }
}

internal sealed record Row(string Id, string Figure, string Settings, string Measured, double Value, string Goal);

/// <summary>How big each stage is in a mode.</summary>
internal sealed record Sizes(
    int Messages, int Upserts, int Locations, int Webhooks, int IngressWarmUpSeconds, int BudgetLimit, int BudgetIntervalMs, int BudgetSkip, int BudgetWindow,
    int TagEvents, int ScaleOutLocations, int ScaleOutSeconds, int ScaleOutSettleSeconds, int Backlog, int QuietSeconds, int RelayRows, int WorkerWarmUp);
