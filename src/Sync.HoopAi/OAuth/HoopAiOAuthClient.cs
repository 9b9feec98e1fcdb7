using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Sync.HoopAi.OAuth;

/// <summary>
/// The OAuth token endpoint (<c>POST {BaseUrl}/oauth/token</c>, form-encoded) as a typed <see cref="HttpClient"/>.
/// Authorization codes are single-use, so nothing here retries.
/// </summary>
public sealed class HoopAiOAuthClient
{
    private const int MaxErrorDetailLength = 200;

    private readonly HttpClient _http;
    private readonly IOptions<HoopAiOptions> _options;

    /// <summary>Creates the client over an <see cref="HttpClient"/> whose base address is the API's.</summary>
    public HoopAiOAuthClient(HttpClient http, IOptions<HoopAiOptions> options)
    {
        _http = http;
        _options = options;
    }

    /// <summary>Exchanges an authorization code for a location's tokens (<c>grant_type=authorization_code</c>, <c>user_type=Location</c>).</summary>
    /// <exception cref="HoopAiOAuthException">The endpoint refused the code, failed, or could not be reached.</exception>
    /// <exception cref="InvalidOperationException">No client credentials are configured.</exception>
    public Task<OAuthToken> ExchangeAuthorizationCodeAsync(string code, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        return RequestTokenAsync(
            [
                new("grant_type", "authorization_code"),
                new("code", code),
                new("user_type", "Location"),
            ],
            cancellationToken);
    }

    /// <summary>
    /// Exchanges a refresh token for new tokens (<c>grant_type=refresh_token</c>). The refresh token is single-use: the
    /// answer carries its successor, which must be stored before anything else uses the installation.
    /// </summary>
    /// <exception cref="HoopAiOAuthException">The endpoint refused the token, failed, or could not be reached.</exception>
    public Task<OAuthToken> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(refreshToken);
        return RequestTokenAsync(
            [
                new("grant_type", "refresh_token"),
                new("refresh_token", refreshToken),
                new("user_type", "Location"),
            ],
            cancellationToken);
    }

    private async Task<OAuthToken> RequestTokenAsync(List<KeyValuePair<string, string>> fields, CancellationToken cancellationToken)
    {
        var options = _options.Value;
        if (!options.HasClientCredentials)
        {
            throw new InvalidOperationException($"{HoopAiOptions.SectionName}:ClientId and ClientSecret are not configured.");
        }

        fields.Insert(0, new("client_id", options.ClientId));
        fields.Insert(1, new("client_secret", options.ClientSecret));
        using var request = new HttpRequestMessage(HttpMethod.Post, "oauth/token") { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Accept.ParseAdd("application/json");

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new HoopAiOAuthException("The token endpoint could not be reached.", null, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HoopAiOAuthException("The token endpoint did not answer in time.", null, ex);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var (answer, error) = await ReadErrorAnswerAsync(response, cancellationToken);
                throw new HoopAiOAuthException(
                    $"The token endpoint answered {(int)response.StatusCode}{(answer.Length == 0 ? "" : ": " + answer)}.",
                    response.StatusCode, error, answer);
            }

            OAuthToken? token;
            try
            {
                token = await response.Content.ReadFromJsonAsync<OAuthToken>(cancellationToken);
            }
            catch (JsonException ex)
            {
                throw new HoopAiOAuthException("The token endpoint answered with unreadable JSON.", response.StatusCode, ex);
            }

            if (token is null || string.IsNullOrEmpty(token.AccessToken))
            {
                throw new HoopAiOAuthException("The token endpoint answered without an access token.", response.StatusCode);
            }

            return token;
        }
    }

    // The endpoint's own error text (e.g. {"error":"invalid_grant"}) helps an operator; it never holds our secret.
    private static async Task<(string Answer, string? Error)> ReadErrorAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (string.IsNullOrWhiteSpace(text))
            {
                return ("", null);
            }

            text = text.ReplaceLineEndings(" ").Trim();
            return (text.Length > MaxErrorDetailLength ? text[..MaxErrorDetailLength] + "…" : text, ErrorCodeOf(text));
        }
        catch (HttpRequestException)
        {
            return ("", null);
        }
    }

    // The OAuth error code ({"error":"invalid_grant", …}), when the answer is JSON that has one.
    private static string? ErrorCodeOf(string answer)
    {
        if (!answer.StartsWith('{'))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
