using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using Sync.Sandbox.Limits;

namespace Sync.Sandbox.Api;

/// <summary>What kind of API endpoint a route is; the gate reads it from the endpoint's metadata.</summary>
internal sealed class ApiEndpointMetadata(bool oauthToken)
{
    public static readonly ApiEndpointMetadata Api = new(false);
    public static readonly ApiEndpointMetadata OAuthToken = new(true);

    /// <summary><c>POST /oauth/token</c>: no bearer, no Version header, no rate limit.</summary>
    public bool IsOAuthToken { get; } = oauthToken;
}

/// <summary>Response helpers shared by the endpoints: the trace id, the caller's grant and the error shapes.</summary>
internal static class ApiHttp
{
    public const string Forbidden = "The token does not have access to this location.";
    private static readonly object TraceKey = new();
    private static readonly object GrantKey = new();

    public static string TraceId(this HttpContext context)
    {
        if (context.Items.TryGetValue(TraceKey, out var value) && value is string trace)
        {
            return trace;
        }

        trace = Guid.NewGuid().ToString();
        context.Items[TraceKey] = trace;
        return trace;
    }

    public static AccessGrant Grant(this HttpContext context) =>
        context.Items.TryGetValue(GrantKey, out var value) && value is AccessGrant grant
            ? grant
            : throw new InvalidOperationException("The API gate did not authenticate this call.");

    public static void SetGrant(this HttpContext context, AccessGrant grant) => context.Items[GrantKey] = grant;

    public static bool CanAccess(this AccessGrant grant, string locationId) =>
        grant.LocationId is not null && string.Equals(grant.LocationId, locationId, StringComparison.Ordinal);

    public static Task JsonAsync<T>(this HttpContext context, int status, T body, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, type, "application/json; charset=utf-8", context.RequestAborted);
    }

    public static Task ErrorAsync(this HttpContext context, int status, string message) =>
        context.JsonAsync(status, new ErrorBody(status, message, ReasonOf(status), context.TraceId()), SandboxJson.Default.ErrorBody);

    public static Task ValidationAsync(this HttpContext context, IReadOnlyList<string> messages) =>
        context.JsonAsync(422, new ValidationErrorBody(422, messages, "Unprocessable Entity", context.TraceId()), SandboxJson.Default.ValidationErrorBody);

    public static Task ForbiddenAsync(this HttpContext context) => context.ErrorAsync(403, Forbidden);

    public static void WriteRateHeaders(this HttpResponse response, in RateDecision decision)
    {
        if (!decision.Enabled)
        {
            return;
        }

        var headers = response.Headers;
        headers["X-RateLimit-Max"] = decision.Max.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Interval-Milliseconds"] = decision.IntervalMilliseconds.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Limit-Daily"] = decision.DailyLimit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Daily-Remaining"] = decision.DailyRemaining.ToString(CultureInfo.InvariantCulture);
        if (!decision.Allowed && decision.SendResetHeaders)
        {
            headers["X-RateLimit-Reset"] = decision.ResetMilliseconds.ToString(CultureInfo.InvariantCulture);
            headers.RetryAfter = ((decision.ResetMilliseconds + 999) / 1000).ToString(CultureInfo.InvariantCulture);
        }
    }

    public static string ReasonOf(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
}
