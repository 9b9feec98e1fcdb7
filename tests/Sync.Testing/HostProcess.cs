using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sync.Testing;

/// <summary>
/// A built Sync host (<c>dotnet Sync.X.dll</c>) run as a process of its own: its stderr forwarded with a prefix, its
/// working set sampled every 50 ms for the peak, killed with its children on <see cref="Kill"/> or dispose.
/// </summary>
public class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peakRss;

    /// <summary>Starts <c>dotnet dll args</c>.</summary>
    /// <param name="dll">The built host.</param>
    /// <param name="args">Its command line.</param>
    /// <param name="prefix">What its stderr lines are prefixed with on the console.</param>
    /// <param name="settings">Applied to its environment.</param>
    /// <param name="log">Where the host's stdout (its console log) goes, line by line; dropped when null.</param>
    protected HostProcess(string dll, IReadOnlyList<string> args, string prefix, Action<IDictionary<string, string?>> settings, TextWriter? log = null)
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
        _process.OutputDataReceived += (_, line) =>
        {
            if (log is not null && line.Data is { } text)
            {
                lock (log)
                {
                    log.WriteLine(text);
                }
            }
        };
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
    public static HostProcess Start(
        string dll, IReadOnlyList<string> args, string prefix, Action<IDictionary<string, string?>> settings, TextWriter? log = null) =>
        new(dll, args, prefix, settings, log);

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The largest working set seen so far, in bytes.</summary>
    public long PeakRssBytes => Interlocked.Read(ref _peakRss);

    /// <summary>Waits until <paramref name="address"/>/health/ready (or <paramref name="path"/>) answers 200.</summary>
    public async Task WaitReadyAsync(HttpClient http, Uri address, string what, string path = "/health/ready")
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(address, path));
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

        throw new InvalidOperationException(_process.HasExited ? $"The {what} exited ({_process.ExitCode}) before it was ready." : $"The {what} did not become ready.");
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

    /// <summary>Kills the process and its children at once (SIGKILL, as <c>kill -9</c>): nothing is flushed, nothing acknowledged.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Waits for the process to end by itself (a command-line tool); killed after <paramref name="timeout"/>.</summary>
    /// <returns>Its exit code.</returns>
    /// <exception cref="TimeoutException">It had not ended within <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"The process {_process.Id} had not ended after {timeout}.");
        }
    }

    /// <summary>
    /// The built dll of a host project under src/ (<c>Sync.Worker</c>, ...), built the same way as the running assembly:
    /// tests/&lt;project&gt;/bin/&lt;Configuration&gt;/net10.0 → src/&lt;host&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;host&gt;.dll.
    /// </summary>
    /// <param name="project">The project's folder name under src/.</param>
    /// <param name="assembly">Its assembly name, when not the project's (<c>sync-admin</c>).</param>
    /// <exception cref="FileNotFoundException">The host is not built.</exception>
    public static string FindBuilt(string project, string? assembly = null)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = here.Parent!.Name;
        var root = here.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", project, "bin", configuration, "net10.0", (assembly ?? project) + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{project} is not built ({dll}); run: dotnet build src/{project} -c {configuration}", dll);
    }

    /// <summary>A free TCP port on the loopback interface.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the sampler and kills the process.</summary>
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
