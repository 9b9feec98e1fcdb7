using Microsoft.Extensions.Logging;

namespace Sync.Testing;

/// <summary>
/// Writes log lines to NUnit's progress stream, which reaches the console at once whichever thread logs; for
/// following an in-process host while debugging a test. Tests turn it on with <c>SYNC_TEST_LOGS=1</c>, or with
/// <c>SYNC_TEST_LOGS=/path/to/file</c> to append the lines to a file instead.
/// </summary>
public sealed class ProgressLoggerProvider(LogLevel minimum) : ILoggerProvider
{
    private static readonly Lock FileLock = new();

    /// <summary>True when <c>SYNC_TEST_LOGS</c> asks for host logs.</summary>
    public static bool Requested => Environment.GetEnvironmentVariable("SYNC_TEST_LOGS") is { Length: > 0 };

    private static string? FilePath => Environment.GetEnvironmentVariable("SYNC_TEST_LOGS") is { Length: > 1 } path ? path : null;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new ProgressLogger(categoryName, minimum);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class ProgressLogger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel.ToString()[..4]} {category}: {formatter(state, exception)}";
            var text = exception is null ? line : line + Environment.NewLine + exception;
            if (FilePath is { } path)
            {
                lock (FileLock)
                {
                    File.AppendAllText(path, text + Environment.NewLine);
                }
            }
            else
            {
                TestContext.Progress.WriteLine(text);
            }
        }
    }
}
