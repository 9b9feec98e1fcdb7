using Microsoft.Extensions.Hosting;

namespace Sync.Hosting;

/// <summary>
/// Runs a host the way every Sync host runs: a bad setting, found while the host is built or started, stops it with one
/// line on standard error that names the configuration key, and exit code <see cref="InvalidConfigurationExitCode"/>.
/// Anything else still escapes, with its stack trace, as a bug should.
/// </summary>
public static class SyncHost
{
    /// <summary>A normal stop (Ctrl+C, SIGTERM).</summary>
    public const int SuccessExitCode = 0;

    /// <summary>A setting was invalid; nothing was started.</summary>
    public const int InvalidConfigurationExitCode = 1;

    /// <summary>Builds and runs a host until it stops.</summary>
    /// <param name="name">The process name that starts the error line, e.g. <c>sync-worker</c>.</param>
    /// <param name="build">Builds the host; a bad setting may already throw here.</param>
    /// <returns>The exit code: <see cref="SuccessExitCode"/> or <see cref="InvalidConfigurationExitCode"/>.</returns>
    public static Task<int> RunAsync(string name, Func<IHost> build) => RunAsync(name, build, Console.Error);

    /// <summary>As <see cref="RunAsync(string, Func{IHost})"/>, writing the error line to <paramref name="error"/>.</summary>
    public static async Task<int> RunAsync(string name, Func<IHost> build, TextWriter error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            using var host = build();
            await host.RunAsync().ConfigureAwait(false);
            return SuccessExitCode;
        }
        // A filter, not a catch-and-rethrow: any other exception leaves unhandled with its original stack.
        catch (Exception exception) when (ConfigurationErrors.Describe(exception) is { } problem)
        {
            await error.WriteLineAsync($"{name}: invalid configuration: {problem}").ConfigureAwait(false);
            await error.FlushAsync().ConfigureAwait(false);
            return InvalidConfigurationExitCode;
        }
    }
}
