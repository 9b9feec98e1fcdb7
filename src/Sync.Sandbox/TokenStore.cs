using System.Collections.Concurrent;
using System.Security.Cryptography;
using Sync.Sandbox.Api;

namespace Sync.Sandbox;

/// <summary>
/// Access tokens, single-use refresh tokens and authorization codes. Every access token is bound to one location
/// (or, for company tokens, to none) and to an application id, the key of rate-limit accounting.
/// </summary>
public sealed class TokenStore
{
    /// <summary>The application id private-integration tokens are accounted to unless told otherwise.</summary>
    public const string PrivateIntegrationAppId = "private-integration";

    private const string Alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private readonly ConcurrentDictionary<string, AccessGrant> _access = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RefreshGrant> _refresh = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CodeGrant> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _rotatedSecrets = new(StringComparer.Ordinal);
    private readonly SandboxOptions _options;
    private readonly TimeProvider _time;

    internal TokenStore(SandboxOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        RegisterConfiguredTokens();
    }

    /// <summary>Issues an authorization code for an installation of <paramref name="clientId"/>'s app in a location.</summary>
    /// <param name="locationId">The location the installation is for.</param>
    /// <param name="companyId">The location's company (agency); a default is made up when null.</param>
    /// <param name="clientId">The OAuth client; the first configured one when null.</param>
    /// <param name="accessTokenLifetimeSeconds">Lifetime of the access tokens of this installation; the configured one when null.</param>
    /// <returns>The code to exchange at <c>POST /oauth/token</c>.</returns>
    public string IssueAuthorizationCode(string locationId, string? companyId = null, string? clientId = null, int? accessTokenLifetimeSeconds = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        var client = FindClient(clientId ?? _options.EffectiveClients[0].ClientId)
            ?? throw new ArgumentException($"Unknown OAuth client '{clientId}'.", nameof(clientId));
        var code = NewId(40);
        var lifetime = accessTokenLifetimeSeconds ?? _options.AccessTokenLifetimeSeconds;
        _codes[code] = new CodeGrant(locationId, companyId ?? DefaultCompanyId, client.ClientId, client.AppId, lifetime,
            _time.GetUtcNow().AddSeconds(_options.AuthorizationCodeLifetimeSeconds));
        return code;
    }

    /// <summary>Registers a static private-integration token for a location.</summary>
    /// <param name="locationId">The location the token gives access to.</param>
    /// <param name="token">The token; a new random one when null.</param>
    /// <param name="appId">The application its calls are accounted to; <see cref="PrivateIntegrationAppId"/> when null.</param>
    /// <param name="expiresInSeconds">Lifetime; null for a token that never expires.</param>
    /// <returns>The registered grant.</returns>
    public AccessGrant RegisterPrivateToken(string locationId, string? token = null, string? appId = null, int? expiresInSeconds = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        var grant = new AccessGrant(
            token ?? "pit-" + NewId(32),
            locationId,
            DefaultCompanyId,
            appId ?? PrivateIntegrationAppId,
            "Location",
            expiresInSeconds is { } seconds ? _time.GetUtcNow().AddSeconds(seconds) : DateTimeOffset.MaxValue,
            IsPrivateIntegration: true);
        _access[grant.Token] = grant;
        return grant;
    }

    /// <summary>Removes every access and refresh token of a location: its calls are answered 401 from now on.</summary>
    /// <returns>How many tokens were removed.</returns>
    public int RevokeLocation(string locationId)
    {
        var removed = 0;
        foreach (var (token, grant) in _access)
        {
            if (grant.LocationId == locationId && _access.TryRemove(token, out _))
            {
                removed++;
            }
        }

        foreach (var (token, grant) in _refresh)
        {
            if (grant.LocationId == locationId && _refresh.TryRemove(token, out _))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>
    /// Changes the secret of an OAuth client, as a rotation in the marketplace does: from now on the old secret is
    /// answered <c>invalid_client</c>. Tokens already issued keep working.
    /// </summary>
    /// <returns>False when the client is not configured.</returns>
    public bool ChangeClientSecret(string clientId, string clientSecret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientSecret);
        if (FindClient(clientId) is null)
        {
            return false;
        }

        _rotatedSecrets[clientId] = clientSecret;
        return true;
    }

    /// <summary>Finds the grant of a bearer token, if it is known and not expired.</summary>
    internal AuthOutcome Authenticate(string? authorization, out AccessGrant? grant)
    {
        grant = null;
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthOutcome.Missing;
        }

        var token = authorization.AsSpan(7).Trim();
        if (token.IsEmpty)
        {
            return AuthOutcome.Missing;
        }

        var lookup = _access.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(token, out grant))
        {
            return AuthOutcome.Unknown;
        }

        return grant.ExpiresAt <= _time.GetUtcNow() ? AuthOutcome.Expired : AuthOutcome.Valid;
    }

    /// <summary>Handles a <c>POST /oauth/token</c> form.</summary>
    internal OAuthOutcome Exchange(IReadOnlyDictionary<string, string> form)
    {
        form.TryGetValue("client_id", out var clientId);
        form.TryGetValue("client_secret", out var secret);
        form.TryGetValue("grant_type", out var grantType);
        form.TryGetValue("user_type", out var userType);
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(grantType))
        {
            return OAuthOutcome.Fail(400, "invalid_request", "client_id, client_secret and grant_type are required.");
        }

        var client = FindClient(clientId);
        if (client is null || !CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(_rotatedSecrets.GetValueOrDefault(client.ClientId, client.ClientSecret)),
                System.Text.Encoding.UTF8.GetBytes(secret)))
        {
            return OAuthOutcome.Fail(401, "invalid_client", "Unknown client or wrong client secret.");
        }

        if (userType is not (null or "" or "Location" or "Company"))
        {
            return OAuthOutcome.Fail(400, "invalid_request", "user_type must be Location or Company.");
        }

        switch (grantType)
        {
            case "authorization_code":
                if (!form.TryGetValue("code", out var code) || string.IsNullOrEmpty(code))
                {
                    return OAuthOutcome.Fail(400, "invalid_request", "code is required for grant_type authorization_code.");
                }

                if (!_codes.TryRemove(code, out var codeGrant) || codeGrant.ClientId != client.ClientId)
                {
                    return OAuthOutcome.Fail(400, "invalid_grant", "Invalid grant: authorization code is invalid or was already used.");
                }

                if (codeGrant.ExpiresAt <= _time.GetUtcNow())
                {
                    return OAuthOutcome.Fail(400, "invalid_grant", "Invalid grant: authorization code has expired.");
                }

                var company = userType == "Company";
                return Issue(new RefreshGrant("", company ? null : codeGrant.LocationId, codeGrant.CompanyId, codeGrant.AppId,
                    client.ClientId, company ? "Company" : "Location", codeGrant.AccessTokenLifetimeSeconds));
            case "refresh_token":
                if (!form.TryGetValue("refresh_token", out var refreshToken) || string.IsNullOrEmpty(refreshToken))
                {
                    return OAuthOutcome.Fail(400, "invalid_request", "refresh_token is required for grant_type refresh_token.");
                }

                // Single use: whoever removes it first gets the new pair; a second use of the same token is refused.
                if (!_refresh.TryRemove(refreshToken, out var refreshGrant))
                {
                    return OAuthOutcome.Fail(400, "invalid_grant", "Invalid grant: refresh token is invalid, revoked or was already used.");
                }

                if (refreshGrant.ClientId != client.ClientId)
                {
                    return OAuthOutcome.Fail(400, "invalid_grant", "Invalid grant: refresh token was issued to another client.");
                }

                return Issue(refreshGrant);
            default:
                return OAuthOutcome.Fail(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.");
        }
    }

    /// <summary>Turns a company token into a token for one of its locations (<c>POST /oauth/locationToken</c>).</summary>
    internal OAuthOutcome IssueLocationToken(AccessGrant company, string locationId)
    {
        var client = _options.EffectiveClients.FirstOrDefault(c => c.AppId == company.AppId) ?? _options.EffectiveClients[0];
        return Issue(new RefreshGrant("", locationId, company.CompanyId, company.AppId, client.ClientId, "Location",
            (int)Math.Max(1, Math.Min(int.MaxValue, (company.ExpiresAt - _time.GetUtcNow()).TotalSeconds))));
    }

    /// <summary>Forgets every token and code, then registers the configured private tokens again.</summary>
    internal void Reset()
    {
        _access.Clear();
        _refresh.Clear();
        _codes.Clear();
        _rotatedSecrets.Clear();
        RegisterConfiguredTokens();
    }

    internal static string NewId(int length) => RandomNumberGenerator.GetString(Alphanumeric, length);

    private const string DefaultCompanyId = "SandboxCompany000001";

    private OAuthOutcome Issue(RefreshGrant basis)
    {
        var lifetime = basis.AccessTokenLifetimeSeconds;
        var access = new AccessGrant("sbx-" + NewId(44), basis.LocationId, basis.CompanyId, basis.AppId, basis.UserType,
            _time.GetUtcNow().AddSeconds(lifetime), IsPrivateIntegration: false);
        var refresh = basis with { Token = "sbr-" + NewId(44) };
        _access[access.Token] = access;
        _refresh[refresh.Token] = refresh;
        return OAuthOutcome.Ok(new TokenResponse(access.Token, "Bearer", lifetime, refresh.Token,
            "contacts.readonly contacts.write locations.readonly", basis.UserType, basis.LocationId, basis.CompanyId, basis.AppId));
    }

    private SandboxOAuthClient? FindClient(string clientId) =>
        _options.EffectiveClients.FirstOrDefault(c => string.Equals(c.ClientId, clientId, StringComparison.Ordinal));

    private void RegisterConfiguredTokens()
    {
        foreach (var token in _options.PrivateTokens)
        {
            RegisterPrivateToken(token.LocationId, token.Token, token.AppId);
        }
    }

    private sealed record CodeGrant(string LocationId, string CompanyId, string ClientId, string AppId, int AccessTokenLifetimeSeconds, DateTimeOffset ExpiresAt);

    private sealed record RefreshGrant(string Token, string? LocationId, string CompanyId, string AppId, string ClientId, string UserType, int AccessTokenLifetimeSeconds);
}

/// <summary>What an access token is good for.</summary>
/// <param name="Token">The bearer token.</param>
/// <param name="LocationId">The location it gives access to; null for a company token.</param>
/// <param name="CompanyId">The company (agency) it belongs to.</param>
/// <param name="AppId">The application its calls are accounted to.</param>
/// <param name="UserType"><c>Location</c> or <c>Company</c>.</param>
/// <param name="ExpiresAt">When it stops working.</param>
/// <param name="IsPrivateIntegration">Whether it is a static private-integration token.</param>
public sealed record AccessGrant(string Token, string? LocationId, string CompanyId, string AppId, string UserType, DateTimeOffset ExpiresAt, bool IsPrivateIntegration);

internal enum AuthOutcome
{
    Valid,
    Missing,
    Unknown,
    Expired,
}

internal sealed record OAuthOutcome(int Status, TokenResponse? Token, string? Error, string? Description)
{
    public static OAuthOutcome Ok(TokenResponse token) => new(200, token, null, null);

    public static OAuthOutcome Fail(int status, string error, string description) => new(status, null, error, description);
}
