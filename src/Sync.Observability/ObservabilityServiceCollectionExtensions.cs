using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Sync.Core;
using Sync.Messaging.Observability;
using Sync.Observability.Internal;

namespace Sync.Observability;

/// <summary>Registers OpenTelemetry for a Sync host.</summary>
public static class ObservabilityServiceCollectionExtensions
{
    /// <summary>The OTLP endpoint variable: OTLP export is on only when it is set.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Traces and metrics of Sync (<see cref="SyncTelemetry"/>), MassTransit, ASP.NET Core, HttpClient, Npgsql and
    /// SqlClient, configured by the standard <c>OTEL_*</c> variables (<c>OTEL_SERVICE_NAME</c> overrides
    /// <paramref name="serviceName"/>). Traces are made (unless <c>Sync:Observability:Traces</c> says otherwise) and exported over OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set (otherwise no span is made at all); metrics are
    /// always served as Prometheus text by <see cref="MapSyncMetrics"/>. Also samples the outbox backlog (and, with
    /// <paramref name="queueDepths"/>, the work queues) and the circuits' state.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The host's configuration (<c>Sync:Observability</c>, <c>OTEL_*</c>).</param>
    /// <param name="serviceName">The service name when <c>OTEL_SERVICE_NAME</c> is not set, e.g. <c>sync-worker</c>.</param>
    /// <param name="queueDepths">Whether this host samples the work and error queues' depths (the worker).</param>
    public static IServiceCollection AddSyncObservability(
        this IServiceCollection services, IConfiguration configuration, string serviceName, bool queueDepths = false)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        services.AddOptions<ObservabilityOptions>()
            .Bind(configuration.GetSection(ObservabilityOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<BacklogSamplerOptions>()
            .Bind(configuration.GetSection(BacklogSamplerOptions.SectionName))
            .Configure(o => o.QueueDepths |= queueDepths)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHostedService<BacklogSampler>();
        services.AddHostedService<TelemetryStartup>();

        // Spans are made only when something exports them: with no OTLP endpoint, a tracer provider would still create,
        // sample and tag an activity for every message, database command and API call, and throw each away (in the
        // worker's hot path that was a measurable share of its CPU). Metrics are always on.
        var exportSpans = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);
        var makeSpans = configuration.GetSection(ObservabilityOptions.SectionName).GetValue<bool?>(nameof(ObservabilityOptions.Traces)) ?? exportSpans;
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(serviceName);
                }
            });
        if (makeSpans)
        {
            builder.WithTracing(tracing =>
            {
                // OTEL_TRACES_SAMPLER, when set, decides; otherwise polling queries do not each make a trace.
                if (string.IsNullOrWhiteSpace(configuration["OTEL_TRACES_SAMPLER"]))
                {
                    tracing.SetSampler(new ParentBasedSampler(new BackgroundClientSpanSampler()));
                }

                tracing
                    .AddSource(SyncTelemetry.Name, "MassTransit")
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddSqlClientInstrumentation()
                    .AddNpgsql();
            });
        }

        builder.WithMetrics(metrics => metrics
                .AddMeter(SyncTelemetry.Name, "MassTransit")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        if (exportSpans)
        {
            builder.UseOtlpExporter();
        }

        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return services;
    }

    /// <summary>Serves the Prometheus text of this host's metrics on <see cref="ObservabilityOptions.MetricsPath"/>.</summary>
    public static IEndpointRouteBuilder MapSyncMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var path = endpoints.ServiceProvider.GetRequiredService<IOptions<ObservabilityOptions>>().Value.MetricsPath;
        endpoints.MapPrometheusScrapingEndpoint(path);
        return endpoints;
    }

    private static bool IsProbe(Microsoft.AspNetCore.Http.PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);
}
