using Microsoft.Extensions.Options;
using Sync.Sandbox.Api;

namespace Sync.Sandbox;

/// <summary>Registration of the sandbox in a web host.</summary>
public static class SandboxServiceCollectionExtensions
{
    /// <summary>Adds the sandbox with options bound from <c>Sync:Sandbox</c>, validated at start.</summary>
    public static IServiceCollection AddSyncSandbox(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SandboxOptions>().Bind(configuration.GetSection(SandboxOptions.SectionName)).ValidateOnStart();
        return services.AddSandboxCore();
    }

    /// <summary>Adds the sandbox with the given options, validated at start.</summary>
    public static IServiceCollection AddSyncSandbox(this IServiceCollection services, SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddOptions<SandboxOptions>().Configure(o => Copy(options, o)).ValidateOnStart();
        return services.AddSandboxCore();
    }

    /// <summary>Puts the API gate in the pipeline and maps the API and <c>/_sandbox</c> endpoints.</summary>
    public static WebApplication UseSyncSandbox(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRouting();
        var gate = app.Services.GetRequiredService<ApiGate>();
        app.Use(gate.InvokeAsync);
        var state = app.Services.GetRequiredService<SandboxState>();
        OAuthEndpoints.Map(app, new OAuthEndpoints(state));
        ContactEndpoints.Map(app, new ContactEndpoints(state));
        InspectionEndpoints.Map(app, new InspectionEndpoints(state));
        return app;
    }

    private static IServiceCollection AddSandboxCore(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<SandboxOptions>, SandboxOptionsValidator>();
        services.AddSingleton(sp => new SandboxState(
            sp.GetRequiredService<IOptions<SandboxOptions>>().Value,
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<ApiGate>();
        return services;
    }

    private static void Copy(SandboxOptions from, SandboxOptions to)
    {
        to.OAuthClients = [.. from.OAuthClients];
        to.PrivateTokens = [.. from.PrivateTokens];
        to.AccessTokenLifetimeSeconds = from.AccessTokenLifetimeSeconds;
        to.AuthorizationCodeLifetimeSeconds = from.AuthorizationCodeLifetimeSeconds;
        to.DuplicatePriority = from.DuplicatePriority;
        to.RateLimit = from.RateLimit.Clone();
        to.Faults = from.Faults.Clone();
    }
}
