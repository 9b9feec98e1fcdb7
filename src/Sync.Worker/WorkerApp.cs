using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Sync.Components;
using Sync.Observability;

namespace Sync.Worker;

/// <summary>
/// Composes the worker host. With <c>Sync:Worker:Http:Urls</c> set (default <c>http://127.0.0.1:5081</c>) it also
/// serves <c>/health/live</c>, <c>/health/ready</c> (bus, database, circuits) and <c>/metrics</c> there; empty: no HTTP.
/// <c>Program.cs</c> runs it; tests build it in-process.
/// </summary>
public static class WorkerApp
{
    /// <summary>The configuration key of the worker's HTTP addresses (semicolon-separated).</summary>
    public const string UrlsKey = "Sync:Worker:Http:Urls";

    /// <summary>The default: loopback only.</summary>
    public const string DefaultUrls = "http://127.0.0.1:5081";

    /// <summary>The health-check tag of what readiness covers.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Builds the worker host.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="configure">Last changes before services are registered (tests add configuration here).</param>
    public static IHost Build(string[] args, Action<IHostApplicationBuilder>? configure = null)
    {
        var web = WebApplication.CreateBuilder(args);
        configure?.Invoke(web);
        var urls = web.Configuration[UrlsKey] ?? DefaultUrls;
        if (string.IsNullOrWhiteSpace(urls))
        {
            // No HTTP wanted: a plain host with the same services.
            var plain = Host.CreateApplicationBuilder(args);
            configure?.Invoke(plain);
            AddServices(plain);
            return plain.Build();
        }

        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
            {
                // Reported like any other invalid option: one line naming the key, exit code 1.
                throw new OptionsValidationException(UrlsKey, typeof(string), [$"{UrlsKey} must be absolute http(s) addresses separated by ';' (or empty to serve no HTTP); '{url}' is not."]);
            }
        }

        web.WebHost.UseUrls(urls);
        AddServices(web);
        var app = web.Build();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        app.MapSyncMetrics();
        return app;
    }

    private static void AddServices(IHostApplicationBuilder builder)
    {
        builder.Services.AddSyncWorker(builder.Configuration);
        builder.Services.AddSyncObservability(builder.Configuration, "sync-worker", queueDepths: true);
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new { status = entry.Value.Status.ToString(), description = entry.Value.Description }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JsonSerializerOptions.Web, context.RequestAborted);
    }
}
