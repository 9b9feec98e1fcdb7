using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Sync.AdminApi.Endpoints;
using Sync.Messaging.DeadLetters;
using Sync.Observability;
using Sync.Storage;

namespace Sync.AdminApi;

/// <summary>Composes the admin API host. <c>Program.cs</c> runs it; tests build it in-process on a free port.</summary>
public static class AdminApiApp
{
    /// <summary>Authorisation policy names, one per scope.</summary>
    public static class Policies
    {
        /// <summary>Queries and status.</summary>
        public const string Read = "read";

        /// <summary>Replay, edit, discard.</summary>
        public const string Operate = "operate";
    }

    /// <summary>Builds the admin API web application.</summary>
    /// <param name="args">Command-line arguments (e.g. <c>--urls http://127.0.0.1:5090</c>).</param>
    /// <param name="configure">Last changes before services are registered (tests add configuration here).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        builder.Services.AddSyncAdminApi(builder.Configuration);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        // The description is behind the key like everything else.
        app.MapOpenApi();
        app.MapDeadLetterEndpoints();

        // Prometheus text, behind the key as well: scrape with `authorization: {type: Bearer, credentials_file: …}`.
        app.MapSyncMetrics();
        return app;
    }

    /// <summary>Registers the admin API: storage, dead-letter operations, API-key authentication, OpenAPI, problems.</summary>
    public static IServiceCollection AddSyncAdminApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSyncStorage(configuration);

        // The API changes no schema: the worker and `sync-admin migrate` do.
        services.PostConfigure<StorageOptions>(options => options.MigrateOnStart = false);
        services.AddSyncDeadLetterOperations(configuration);

        services.AddOptions<AdminApiOptions>()
            .Bind(configuration.GetSection(AdminApiOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminApiOptions>, AdminApiOptionsValidator>();

        services.AddSyncObservability(configuration, "sync-admin-api");
        services.AddProblemDetails();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            // Every route needs a valid key, including any added later and the OpenAPI document.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Read, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, AdminApiScopes.Read))
            .AddPolicy(Policies.Operate, p => p.AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName).RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, AdminApiScopes.Operate));
        services.AddOpenApi();
        return services;
    }
}
