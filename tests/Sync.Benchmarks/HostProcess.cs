using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sync.Sandbox;

namespace Sync.Benchmarks;

/// <summary>
/// A built Sync host (<c>dotnet Sync.X.dll</c>) run as a process of its own: its stderr forwarded with a prefix, its
/// working set sampled every 50 ms for the peak, killed with its children on <see cref="Kill"/> or dispose.
/// </summary>
internal class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peakRss;

    protected HostProcess(string dll, IReadOnlyList<string> args, string prefix, Action<IDictionary<string, string?>> settings)
    {
        var start = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        settings(start.Environment);
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{dll} did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { Length: > 0 } text)
            {
                Console.Error.WriteLine($"[{prefix}] {text}");
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _sampler = SampleAsync(_stop.Token);
    }

    /// <summary>The process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Starts a host with <paramref name="settings"/> applied to its environment.</summary>
    public static HostProcess Start(string dll, IReadOnlyList<string> args, string prefix, Action<IDictionary<string, string?>> settings) =>
        new(dll, args, prefix, settings);

    public bool HasExited => _process.HasExited;

    /// <summary>The largest working set seen so far, in bytes.</summary>
    public long PeakRssBytes => Interlocked.Read(ref _peakRss);

    /// <summary>Waits until <paramref name="address"/>/health/ready answers 200.</summary>
    public async Task WaitReadyAsync(HttpClient http, Uri address, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(address, "/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"The {what} did not become ready.");
    }

    /// <summary>
    /// Stops the host as an orchestrator would (SIGTERM): a worker finishes the messages it holds and acknowledges
    /// them, so afterwards every message is either done or back in its queue. Killed when it takes longer than 30 s.
    /// </summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var signal = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await signal.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _stop.Cancel();
        Kill();
        _sampler.Wait(TimeSpan.FromSeconds(2));
        _process.Dispose();
        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested && !_process.HasExited)
            {
                _process.Refresh();
                var rss = _process.WorkingSet64;
                if (rss > Interlocked.Read(ref _peakRss))
                {
                    Interlocked.Exchange(ref _peakRss, rss);
                }

                await Task.Delay(50, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            // Stopped, or the process went away between the check and the read.
        }
    }
}

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
