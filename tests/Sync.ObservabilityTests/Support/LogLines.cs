using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sync.ObservabilityTests.Support;

/// <summary>One log line as written: category, event id, the formatted message and its structured fields.</summary>
public sealed record LogLine(string Category, LogLevel Level, int EventId, string Message, IReadOnlyDictionary<string, object?> Fields);

/// <summary>A logger provider that keeps every line, with its structured fields.</summary>
public sealed class LogLines : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None; // the host's filters decide

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)
                : new Dictionary<string, object?>(StringComparer.Ordinal);
            lines.Enqueue(new LogLine(category, logLevel, eventId.Id, formatter(state, exception), fields));
        }
    }
}
