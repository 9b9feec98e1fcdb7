using Microsoft.Extensions.Logging;

namespace Sync.Admin;

/// <summary>
/// With --verbose, the libraries' logs go to standard error, one line each (plus the exception, if any). Without it
/// nothing is logged: the CLI reports through its own output.
/// </summary>
internal sealed class TextWriterLoggerProvider(TextWriter writer, LogLevel minimum) : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly TextWriter _writer = writer;
    private readonly LogLevel _minimum = minimum;

    public ILogger CreateLogger(string categoryName) => new TextWriterLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class TextWriterLogger(TextWriterLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"{Label(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            lock (provider._gate)
            {
                provider._writer.WriteLine(line);
                if (exception is not null)
                {
                    provider._writer.WriteLine(exception.ToString());
                }
            }
        }

        private static string Label(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
