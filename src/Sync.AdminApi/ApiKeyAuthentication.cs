using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Sync.AdminApi;

/// <summary>
/// Authenticates a request by its <c>X-Api-Key</c> header against the configured keys. Keys are compared as SHA-256
/// hashes with <see cref="CryptographicOperations.FixedTimeEquals"/> and every configured key is compared, so neither
/// a key's length nor which key matched shows in the time taken. Challenges and refusals are RFC 9457 problems.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AdminApiOptions> keys,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string ScopeClaim = "scope";
    private const string BearerPrefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presentedKey = PresentedKey();
        if (presentedKey is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey));
        (string Name, AdminApiKey Key)? match = null;
        foreach (var (name, key) in keys.Value.Keys)
        {
            var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key.Key));
            if (CryptographicOperations.FixedTimeEquals(presented, expected))
            {
                match = (name, key);
            }
        }

        if (match is not { } found)
        {
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, found.Name) };
        claims.AddRange(found.Key.EffectiveScopes.Select(s => new Claim(ScopeClaim, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    /// <summary>
    /// The key in <c>X-Api-Key</c>, or else in <c>Authorization: Bearer</c> (how Prometheus's <c>authorization</c>
    /// scrape setting sends a credential); null when neither holds exactly one non-empty value.
    /// </summary>
    private string? PresentedKey()
    {
        if (Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return values.Count == 1 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;
        }

        var authorization = Request.Headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } value
            || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = value[BearerPrefix.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\", Bearer";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "An API key is required.",
                Detail = $"Send a valid key in the {HeaderName} header (or as Authorization: Bearer).",
            },
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status403Forbidden,
                Title = "The API key lacks the scope this needs.",
                Detail = "Ask for a key with the scope named in the API description (read, operate or personal-data).",
            },
        });
    }
}
