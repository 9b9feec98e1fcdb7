using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sync.HoopAi.Api;
using Sync.HoopAi.Circuits;
using Sync.HoopAi.OAuth;
using Sync.HoopAi.Tokens;

namespace Sync.HoopAi;

/// <summary>Registers the HoopAI API pieces.</summary>
public static class HoopAiServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="HoopAiOptions"/> from <c>Sync:HoopAi</c> (validated at start) and registers
    /// <see cref="HoopAiOAuthClient"/> as a typed <see cref="HttpClient"/> on <see cref="HoopAiOptions.BaseUrl"/>.
    /// </summary>
    public static IServiceCollection AddSyncHoopAi(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HoopAiOptions>()
            .Bind(configuration.GetSection(HoopAiOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ApiCircuitOptions>()
            .Bind(configuration.GetSection(ApiCircuitOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddHttpClient<HoopAiOAuthClient>((provider, http) =>
        {
            var options = provider.GetRequiredService<IOptions<HoopAiOptions>>().Value;
            var baseUrl = options.BaseUrl.ToString();
            http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
            http.Timeout = options.Timeout;
        });
        return services;
    }

    /// <summary>
    /// Registers the contact API client (<see cref="HoopAiClient"/>, a typed <see cref="HttpClient"/>), the token provider
    /// over stored installations and the rate limiter shared through the database. Needs <see cref="AddSyncHoopAi"/> and
    /// the storage registration.
    /// </summary>
    public static IServiceCollection AddSyncHoopAiClient(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAccessTokenProvider, InstallationTokenProvider>();
        services.TryAddSingleton<IApiRateLimiter, SharedRateLimiter>();
        services.TryAddSingleton<ApiCircuitBreaker>();
        services.TryAddSingleton<CustomFieldCache>();
        services.AddHttpClient<HoopAiClient>((provider, http) =>
        {
            var options = provider.GetRequiredService<IOptions<HoopAiOptions>>().Value;
            var baseUrl = options.BaseUrl.ToString();
            http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
            http.Timeout = options.Timeout;
        });
        return services;
    }
}
