using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sync.HoopAi;
using Sync.Ingress.Endpoints;
using Sync.Ingress.Internal;
using Sync.Messaging;
using Sync.Storage;

namespace Sync.Ingress;

/// <summary>Composes the ingress host. <c>Program.cs</c> runs it; tests build it in-process on a free port.</summary>
public static class IngressApp
{
    /// <summary>Builds the ingress web application.</summary>
    /// <param name="args">Command-line arguments (e.g. <c>--urls http://127.0.0.1:5080</c>).</param>
    /// <param name="configure">Last changes before services are registered (tests add configuration here).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.Services.AddSyncIngress(builder.Configuration);
        var app = builder.Build();

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestTimeouts();
        app.MapWebhookEndpoints();
        app.MapOAuthEndpoints();
        app.MapHealthEndpoints();
        return app;
    }

    /// <summary>Registers everything the ingress needs: storage, messaging, the API client, its own options and services.</summary>
    public static IServiceCollection AddSyncIngress(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSyncStorage(configuration);
        services.AddSyncMessaging(configuration);
        services.AddSyncOutboxRelay();
        services.AddSyncHoopAi(configuration);

        services.AddOptions<IngressOptions>()
            .Bind(configuration.GetSection(IngressOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngressOptions>, IngressOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WebhookVerifiers>();
        services.AddSingleton<KnownLocations>();
        services.AddHostedService<LocationRefreshService>();
        services.AddSingleton<WebhookIntake>();

        services.AddProblemDetails();
        services.AddHealthChecks().AddCheck<HandoffHealthCheck>("handoff", tags: [HealthEndpoints.ReadyTag]);

        // Kestrel's own limits back up the per-request checks: bodies, header time, header size.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<IngressOptions>>((kestrel, ingress) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ingress.Value.MaxBodyBytes;
            kestrel.Limits.RequestHeadersTimeout = ingress.Value.RequestHeadersTimeout;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
        });

        // A webhook that runs out of time is answered 429 + Retry-After (the platform retries only on 429), never 504.
        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<IngressOptions>>((timeouts, ingress) =>
            timeouts.AddPolicy(WebhookEndpoints.TimeoutPolicy, new RequestTimeoutPolicy
            {
                Timeout = ingress.Value.RequestTimeout,
                TimeoutStatusCode = StatusCodes.Status429TooManyRequests,
                WriteTimeoutResponse = context =>
                {
                    context.Response.Headers.RetryAfter = ingress.Value.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return Results.Problem(
                        detail: "The event could not be accepted in time. Retry later.",
                        statusCode: StatusCodes.Status429TooManyRequests,
                        title: "Try again later",
                        type: "urn:sync:problem:try-later").ExecuteAsync(context);
                },
            }));
        return services;
    }
}
