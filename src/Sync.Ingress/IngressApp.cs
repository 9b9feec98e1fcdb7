using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.HttpsPolicy;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sync.HoopAi;
using Sync.Ingress.Endpoints;
using Sync.Ingress.Internal;
using Sync.Messaging;
using Sync.Observability;
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

        var ingress = app.Services.GetRequiredService<IOptions<IngressOptions>>().Value;
        if (ingress.ForwardedHeaders.Enabled)
        {
            app.UseForwardedHeaders();
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (ingress.Tls.Enabled)
        {
            app.UseHsts();
        }

        app.UseRateLimiter();
        app.UseRequestTimeouts();
        app.MapWebhookEndpoints();
        app.MapOAuthEndpoints();
        app.MapHealthEndpoints();
        app.MapSyncMetrics();
        return app;
    }

    /// <summary>Registers everything the ingress needs: storage, messaging, the API client, its own options and services.</summary>
    public static IServiceCollection AddSyncIngress(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSyncStorage(configuration);
        services.AddSyncMessaging(configuration);
        services.AddSyncOutboxRelay();
        services.AddSyncHoopAi(configuration);
        services.AddSyncObservability(configuration, "sync-ingress");

        services.AddOptions<IngressOptions>()
            .Bind(configuration.GetSection(IngressOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngressOptions>, IngressOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<WebhookVerifiers>();
        services.AddSingleton<KnownLocations>();
        services.AddHostedService<LocationRefreshService>();
        services.AddSingleton<RecentEvents>();
        services.AddSingleton<WebhookIntake>();
        services.AddSingleton<OAuthState>();
        services.AddSingleton<PendingInstallations>();
        services.AddSingleton<InstallationRecorder>();
        services.AddHostedService<InstallationRetryService>();

        services.AddProblemDetails();
        services.AddSingleton<HandoffHealthCheck>();
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "handoff", provider => provider.GetRequiredService<HandoffHealthCheck>(), failureStatus: null, tags: [HealthEndpoints.ReadyTag]));

        // OAuth callbacks spend the app's client credentials: a few per minute and client address.
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<IngressOptions>>((limiter, ingress) =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(OAuthEndpoints.RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = ingress.Value.OAuth.PermitsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            limiter.OnRejected = (rejected, cancellationToken) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "60";
                return new ValueTask(Results.Problem(
                    detail: "Too many install attempts from this address. Wait a minute.",
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Too many requests",
                    type: "urn:sync:problem:too-many-requests").ExecuteAsync(rejected.HttpContext));
            };
        });

        // Behind a TLS-terminating proxy: the scheme and client address the proxy saw, from proxies we trust only.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<IngressOptions>>((forwarded, ingress) =>
        {
            var settings = ingress.Value.ForwardedHeaders;
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in settings.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in settings.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        services.AddHsts(_ => { });
        services.AddOptions<HstsOptions>().Configure<IOptions<IngressOptions>>((hsts, ingress) => hsts.MaxAge = ingress.Value.Tls.HstsMaxAge);

        // Kestrel's own limits back up the per-request checks: bodies, header time, header size.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<IngressOptions>>((kestrel, ingress) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ingress.Value.MaxBodyBytes;
            kestrel.Limits.RequestHeadersTimeout = ingress.Value.RequestHeadersTimeout;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(120);
            if (ingress.Value.Tls.Enabled)
            {
                var certificate = TlsCertificate.Load(ingress.Value.Tls);
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
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
