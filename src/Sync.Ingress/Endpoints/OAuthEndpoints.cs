using Microsoft.AspNetCore.Http.HttpResults;
using Sync.HoopAi.OAuth;
using Sync.Ingress.Internal;
using Sync.Storage;

namespace Sync.Ingress.Endpoints;

/// <summary><c>GET /oauth/callback?code=...</c>: the end of the app's OAuth install flow.</summary>
internal static class OAuthEndpoints
{
    public static IEndpointRouteBuilder MapOAuthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/oauth/callback", CompleteInstallationAsync).WithName("CompleteOAuthInstallation");
        return app;
    }

    /// <summary>Exchanges the authorization code for the location's tokens and stores the installation.</summary>
    public static async Task<Results<Ok<InstallationCompleted>, ProblemHttpResult>> CompleteInstallationAsync(
        string? code,
        HoopAiOAuthClient oauth,
        IInstallationStore installations,
        KnownLocations locations,
        TimeProvider time,
        ILogger<HoopAiOAuthClient> logger,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return Problem(StatusCodes.Status400BadRequest, "missing-code", "Missing code", "The query must carry the authorization code (?code=...).");
        }

        OAuthToken token;
        try
        {
            token = await oauth.ExchangeAuthorizationCodeAsync(code, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            IngressLog.OAuthFailed(logger, ex.Message);
            return Problem(StatusCodes.Status503ServiceUnavailable, "oauth-not-configured", "OAuth not configured",
                "This installation has no client credentials (Sync:HoopAi:ClientId, ClientSecret).");
        }
        catch (HoopAiOAuthException ex) when (ex.IsRejection)
        {
            IngressLog.OAuthFailed(logger, ex.Message);
            return Problem(StatusCodes.Status400BadRequest, "code-refused", "Authorization code refused",
                "The token endpoint refused the code (expired, already used, or not issued to this app). Install again.");
        }
        catch (HoopAiOAuthException ex)
        {
            IngressLog.OAuthFailed(logger, ex.Message);
            return Problem(StatusCodes.Status502BadGateway, "token-endpoint-failed", "Token endpoint failed",
                "The token endpoint could not be reached or failed. Install again shortly.");
        }

        if (string.IsNullOrEmpty(token.LocationId))
        {
            IngressLog.OAuthFailed(logger, "the token names no location");
            return Problem(StatusCodes.Status502BadGateway, "no-location", "No location",
                "The token endpoint answered without a locationId; only location installs are supported.");
        }

        var now = time.GetUtcNow();
        await installations.SaveAsync(
            new Installation(
                token.LocationId,
                token.CompanyId,
                AuthMode.OAuth,
                InstallationStatus.Active,
                token.AccessToken,
                token.RefreshToken,
                token.ExpiresIn > 0 ? now.AddSeconds(token.ExpiresIn) : null,
                now),
            cancellationToken);
        locations.Remember(token.LocationId);
        IngressLog.Installed(logger, token.LocationId, token.CompanyId);
        return TypedResults.Ok(new InstallationCompleted(token.LocationId, token.CompanyId));
    }

    private static ProblemHttpResult Problem(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: "urn:sync:problem:" + type);
}

/// <summary>The answer to a completed install.</summary>
public sealed record InstallationCompleted(string LocationId, string? CompanyId);
