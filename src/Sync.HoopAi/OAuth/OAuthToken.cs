using System.Text.Json.Serialization;

namespace Sync.HoopAi.OAuth;

/// <summary>The token endpoint's answer (<c>POST /oauth/token</c>). Holds secrets: never log it whole.</summary>
public sealed record OAuthToken
{
    /// <summary>The bearer token for API calls.</summary>
    [JsonPropertyName("access_token")]
    public string AccessToken { get; init; } = "";

    /// <summary>Usually <c>Bearer</c>.</summary>
    [JsonPropertyName("token_type")]
    public string? TokenType { get; init; }

    /// <summary>Seconds until <see cref="AccessToken"/> expires (about a day).</summary>
    [JsonPropertyName("expires_in")]
    public int ExpiresIn { get; init; }

    /// <summary>The single-use token that gets the next access token.</summary>
    [JsonPropertyName("refresh_token")]
    public string? RefreshToken { get; init; }

    /// <summary>Granted scopes, space-separated.</summary>
    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    /// <summary><c>Location</c> or <c>Company</c>.</summary>
    [JsonPropertyName("userType")]
    public string? UserType { get; init; }

    /// <summary>The location the token is for (location tokens).</summary>
    [JsonPropertyName("locationId")]
    public string? LocationId { get; init; }

    /// <summary>The company (agency) the location belongs to.</summary>
    [JsonPropertyName("companyId")]
    public string? CompanyId { get; init; }

    /// <summary>Keeps tokens out of logs and debugger displays.</summary>
    public override string ToString() =>
        $"OAuthToken {{ UserType = {UserType}, LocationId = {LocationId}, CompanyId = {CompanyId}, ExpiresIn = {ExpiresIn}, Scope = {Scope} }}";
}
