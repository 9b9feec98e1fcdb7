using System.Globalization;
using Sync.Sandbox;
using Sync.Testing;

namespace Sync.Benchmarks;

/// <summary>
/// One built <c>Sync.Worker</c> process against a rig's broker and database and a sandbox, serving /health and /metrics
/// on a free loopback port of its own, so several can run side by side against the same virtual host, database and
/// sandbox.
/// </summary>
internal sealed class WorkerProcess : HostProcess
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private WorkerProcess(string dll, int port, string prefix, Action<IDictionary<string, string?>> settings)
        : base(dll, [], prefix, settings) => Address = new Uri($"http://127.0.0.1:{port}");

    /// <summary>Where the worker serves /health and /metrics.</summary>
    public Uri Address { get; }

    /// <summary>
    /// Starts <paramref name="count"/> workers. <paramref name="rateLimited"/> false turns the worker's own limiter off
    /// (for a sandbox whose limit is off too); <paramref name="extra"/> adds settings (<c>Sync__Section__Key</c>).
    /// </summary>
    public static IReadOnlyList<WorkerProcess> Start(
        int count, string workerDll, BenchRig rig, SandboxServer sandbox, bool rateLimited, IReadOnlyDictionary<string, string>? extra = null)
    {
        var workers = new List<WorkerProcess>(count);
        for (var i = 0; i < count; i++)
        {
            var port = FreePort();
            workers.Add(new WorkerProcess(workerDll, port, count == 1 ? "worker" : $"worker {i + 1}", env =>
            {
                rig.ApplyHostSettings(env);
                env["Sync__Worker__Http__Urls"] = $"http://127.0.0.1:{port}";
                env["Sync__HoopAi__BaseUrl"] = sandbox.BaseAddress.ToString();
                env["Sync__HoopAi__RateLimitEnabled"] = rateLimited ? "true" : "false";
                foreach (var (key, value) in extra ?? new Dictionary<string, string>())
                {
                    env[key] = value;
                }
            }));
        }

        return workers;
    }

    /// <summary>Waits until every worker is ready (bus, database, circuits).</summary>
    public static Task WaitReadyAsync(IEnumerable<WorkerProcess> workers) =>
        Task.WhenAll(workers.Select(w => w.WaitReadyAsync(Http, w.Address, "worker")));

    /// <summary>The text of this worker's /metrics (Prometheus exposition format).</summary>
    public async Task<string> MetricsAsync() => await Http.GetStringAsync(new Uri(Address, "/metrics"));

    /// <summary>The sum of a metric's samples over every worker whose labels include <paramref name="labels"/> (e.g. <c>status="429"</c>).</summary>
    public static async Task<double> SumAsync(IEnumerable<WorkerProcess> workers, string metric, params string[] labels)
    {
        var total = 0.0;
        foreach (var worker in workers)
        {
            total += PrometheusText.Sum(await worker.MetricsAsync(), metric, labels);
        }

        return total;
    }
}

/// <summary>Reads samples out of Prometheus exposition text.</summary>
internal static class PrometheusText
{
    /// <summary>The sum of the samples named exactly <paramref name="metric"/> whose label set contains every one of <paramref name="labels"/>.</summary>
    public static double Sum(string text, string metric, params string[] labels)
    {
        var total = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !line.StartsWith(metric, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line.AsSpan(metric.Length);
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' '))
            {
                continue;
            }

            var labelPart = rest[0] == '{' ? rest[..(rest.IndexOf('}') + 1)].ToString() : "";
            if (labels.Any(l => !labelPart.Contains(l, StringComparison.Ordinal)))
            {
                continue;
            }

            var value = rest[labelPart.Length..].Trim().ToString().Split(' ')[0];
            total += double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return total;
    }
}
