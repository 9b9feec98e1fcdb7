using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sync.Ingress.Tests.Support;

/// <summary>The real ingress, started in-process on Kestrel at 127.0.0.1 on a free port, with the settings a test gives.</summary>
public sealed class IngressHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private IngressHost(WebApplication app, Uri address, LogCapture logs, HttpMessageHandler? transport)
    {
        _app = app;
        Logs = logs;
        Address = address;
        Client = new HttpClient(transport is null ? new RecordingHandler() : new RecordingHandler(transport))
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    /// <summary>The address Kestrel listens on.</summary>
    public Uri Address { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Every log line the ingress wrote.</summary>
    public LogCapture Logs { get; }

    /// <param name="settings">Configuration on top of the host's own.</param>
    /// <param name="url">The address to listen on (port 0: a free one).</param>
    /// <param name="services">Last service changes (e.g. a test clock).</param>
    /// <param name="transport">The client's handler (e.g. one trusting a test certificate); cookies are kept by default.</param>
    public static async Task<IngressHost> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        string url = "http://127.0.0.1:0",
        Action<IServiceCollection>? services = null,
        HttpMessageHandler? transport = null)
    {
        var logs = new LogCapture();
        var app = IngressApp.Build(["--urls", url], builder =>
        {
            // The test's output folder may hold another host's appsettings.json: pin what the tests rely on.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft"] = "Warning",
                ["Logging:LogLevel:MassTransit"] = "Warning",
            });
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddProvider(logs);
            if (services is not null)
            {
                services(builder.Services);
            }
        });

        using var started = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await app.StartAsync(started.Token);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new IngressHost(app, new Uri(address), logs, transport);
    }

    public Task<HttpResponseMessage> PostPlatformAsync(byte[] body, string? signature, string contentType = "application/json", string? legacySignature = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/hoopai") { Content = Json(body, contentType) };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-GHL-Signature", signature);
        }

        if (legacySignature is not null)
        {
            request.Headers.TryAddWithoutValidation("x-wh-signature", legacySignature);
        }

        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostSourceAsync(
        string name, byte[] body, string? id, string? timestamp, string? signature, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/sources/{name}") { Content = Json(body, contentType) };
        Add(request, "webhook-id", id);
        Add(request, "webhook-timestamp", timestamp);
        Add(request, "webhook-signature", signature);
        return Client.SendAsync(request);
    }

    /// <summary>Waits until <c>/health/ready</c> reports <paramref name="dependency"/> up (the bus connects in the background).</summary>
    public async Task WaitUntilReadyAsync(string dependency)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Client.GetAsync("/health/ready");
            var report = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            if (report.GetProperty("checks").GetProperty("handoff").GetProperty("data").GetProperty(dependency).GetString() == "up")
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"The ingress did not report {dependency} up within 60 s.");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
    }

    private static ByteArrayContent Json(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static void Add(HttpRequestMessage request, string name, string? value)
    {
        if (value is not null)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
    }
}

/// <summary>Keeps every formatted log line (with its exception) so tests can check what was, and was not, logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += " " + exception;
            }

            lines.Enqueue(line);
        }
    }
}
