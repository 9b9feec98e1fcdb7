using System.Diagnostics;

namespace Sync.UnitTests.Hosting;

/// <summary>A Sync host run as a real process (<c>dotnet Sync.X.dll</c>) from its own output folder.</summary>
internal static class HostProcess
{
    /// <summary>Long enough for a cold start on a busy machine; a bad setting stops a host in a second or two.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>What a finished host left behind.</summary>
    public sealed record Outcome(int ExitCode, string StandardError, string StandardOutput)
    {
        /// <summary>The non-empty lines written to standard error.</summary>
        public IReadOnlyList<string> ErrorLines =>
            StandardError.Split('\n').Select(line => line.TrimEnd('\r')).Where(line => line.Trim().Length > 0).ToList();
    }

    /// <summary>Starts <paramref name="project"/> with <paramref name="settings"/> as environment variables.</summary>
    public static Process Start(string project, IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        var dll = DllOf(project);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Only what the test says: nothing inherited from the shell that runs the tests.
        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("Sync__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"dotnet {dll} did not start.");
    }

    /// <summary>Runs <paramref name="project"/> until it exits by itself; fails the test if it is still running after <see cref="Timeout"/>.</summary>
    public static async Task<Outcome> RunAsync(string project, IReadOnlyDictionary<string, string> settings)
    {
        using var process = Start(project, settings);
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{project} was still running after {Timeout.TotalSeconds} s; stderr: {await error}");
        }

        return new Outcome(process.ExitCode, await error, await output);
    }

    /// <summary>The host's own build output, beside this test assembly's (same configuration and framework).</summary>
    private static string DllOf(string project)
    {
        // tests/Sync.UnitTests/bin/<Configuration>/<Framework>/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var root = here.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var dll = Path.Combine(root, "src", project, "bin", configuration, framework, project + ".dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} is missing: build the test project, which builds the hosts.");
        return dll;
    }
}
