using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sync.HoopAi;
using Sync.HoopAi.OAuth;
using Sync.Ingress.Internal;
using Sync.Storage;

namespace Sync.Ingress.Endpoints;

/// <summary>
/// The app's OAuth install: <c>GET /oauth/start</c> sends the browser to the platform's location chooser with a signed
/// <c>state</c> bound to a cookie; <c>GET /oauth/callback?code=...&amp;state=...</c> checks it, exchanges the code and
/// stores the installation. Both are rate-limited per client address. See docs/webhooks.md.
/// </summary>
internal static class OAuthEndpoints
{
    public const string RateLimitPolicy = "oauth";

    public static IEndpointRouteBuilder MapOAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var oauth = app.MapGroup("/oauth").RequireRateLimiting(RateLimitPolicy);
        oauth.MapGet("/start", StartInstallation).WithName("StartOAuthInstallation");
        oauth.MapGet("/callback", CompleteInstallationAsync).WithName("CompleteOAuthInstallation");
        return app;
    }

    /// <summary>Redirects to the location chooser with a fresh state, whose nonce goes into a cookie on this browser.</summary>
    public static Results<RedirectHttpResult, ProblemHttpResult> StartInstallation(
        HttpContext context, OAuthState states, IOptions<IngressOptions> ingress, IOptions<HoopAiOptions> hoopAi)
    {
        if (!hoopAi.Value.HasClientCredentials)
        {
            return NotConfigured();
        }

        var oauth = ingress.Value.OAuth;
        var (state, nonce) = states.Issue();
        context.Response.Cookies.Append(OAuthState.CookieName, nonce, new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax, // the callback is a top-level navigation back from the platform
            Path = "/oauth",
            MaxAge = states.Lifetime,
        });

        var redirectUri = oauth.RedirectUri.Length > 0
            ? oauth.RedirectUri
            : $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/oauth/callback";
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["redirect_uri"] = redirectUri,
            ["client_id"] = hoopAi.Value.ClientId,
            ["scope"] = oauth.Scopes,
            ["state"] = state,
        };
        return TypedResults.Redirect(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(oauth.AuthorizeUrl.ToString(), query));
    }

    /// <summary>Checks the state, exchanges the authorization code for the location's tokens and stores the installation.</summary>
    public static async Task<Results<Ok<InstallationCompleted>, Accepted<InstallationCompleted>, ProblemHttpResult>> CompleteInstallationAsync(
        string? code,
        string? state,
        HttpContext context,
        OAuthState states,
        HoopAiOAuthClient oauth,
        InstallationRecorder recorder,
        WebhookIntake intake,
        TimeProvider time,
        ILogger<HoopAiOAuthClient> logger,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return Problem(StatusCodes.Status400BadRequest, "missing-code", "Missing code", "The query must carry the authorization code (?code=...).");
        }

        // Checked before the code is exchanged, so a refused callback spends nothing at the token endpoint.
        if (!string.IsNullOrEmpty(state))
        {
            var verdict = states.Check(state, context.Request.Cookies[OAuthState.CookieName]);
            context.Response.Cookies.Delete(OAuthState.CookieName, new CookieOptions { Path = "/oauth" });
            if (verdict != OAuthStateCheck.Valid)
            {
                IngressLog.OAuthFailed(logger, "state " + verdict.ToString().ToLowerInvariant());
                return verdict == OAuthStateCheck.Expired
                    ? Problem(StatusCodes.Status400BadRequest, "expired-state", "Install expired",
                        "The install was begun too long ago. Begin it again.")
                    : Problem(StatusCodes.Status400BadRequest, "invalid-state", "Invalid state",
                        "The state does not belong to an install begun in this browser. Begin the install again.");
            }
        }
        else if (!intake.Options.OAuth.AllowMarketplaceInstalls)
        {
            IngressLog.OAuthFailed(logger, "no state and marketplace installs are off");
            return Problem(StatusCodes.Status403Forbidden, "state-required", "Install not begun here",
                "Installs must begin at /oauth/start; installs begun on the marketplace are switched off.");
        }

        OAuthToken token;
        try
        {
            token = await oauth.ExchangeAuthorizationCodeAsync(code, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            IngressLog.OAuthFailed(logger, ex.Message);
            return NotConfigured();
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

        if (!intake.IsAllowedCompany(token.CompanyId))
        {
            IngressLog.OAuthFailed(logger, "the installing company is not allowed");
            return Problem(StatusCodes.Status403Forbidden, "company-not-allowed", "Company not allowed",
                "The installing company is not among the companies allowed to install this app.");
        }

        var now = time.GetUtcNow();
        var installation = new Installation(
            token.LocationId,
            token.CompanyId,
            AuthMode.OAuth,
            InstallationStatus.Active,
            token.AccessToken,
            token.RefreshToken,
            token.ExpiresIn > 0 ? now.AddSeconds(token.ExpiresIn) : null,
            now);
        switch (await recorder.StoreAsync(installation, cancellationToken))
        {
            case InstallationOutcome.Kept:
                return TypedResults.Accepted((string?)null, new InstallationCompleted(
                    token.LocationId, token.CompanyId, "pending",
                    "The install was authorised, but the database could not save it yet. It is kept encrypted on this server and " +
                    "saved automatically as soon as the database answers, also after a restart; nothing more is needed from you."));
            case InstallationOutcome.HeldInMemory:
                return TypedResults.Accepted((string?)null, new InstallationCompleted(
                    token.LocationId, token.CompanyId, "pending",
                    "The install was authorised, but it could not be saved yet, and this server could not keep it on disk either. " +
                    "It is saved automatically as soon as the database answers, unless the server restarts first. If the location " +
                    "does not start syncing within a few minutes, install again."));
        }

        IngressLog.Installed(logger, token.LocationId, token.CompanyId);
        return TypedResults.Ok(new InstallationCompleted(token.LocationId, token.CompanyId, "installed", "The location is installed."));
    }

    private static ProblemHttpResult NotConfigured() =>
        Problem(StatusCodes.Status503ServiceUnavailable, "oauth-not-configured", "OAuth not configured",
            "This installation has no client credentials (Sync:HoopAi:ClientId, ClientSecret).");

    private static ProblemHttpResult Problem(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: "urn:sync:problem:" + type);
}

/// <summary>The answer to a completed install.</summary>
/// <param name="LocationId">The installed location.</param>
/// <param name="CompanyId">Its company, when the token named one.</param>
/// <param name="Status"><c>installed</c>, or <c>pending</c> when storing it must wait for the database.</param>
/// <param name="Detail">What happened, for the person installing.</param>
public sealed record InstallationCompleted(string LocationId, string? CompanyId, string Status, string Detail);
