using System.Net;

namespace Sync.HoopAi.OAuth;

/// <summary>The token endpoint refused a request or answered something unusable.</summary>
public sealed class HoopAiOAuthException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HoopAiOAuthException(string message, HttpStatusCode? statusCode, Exception? innerException = null)
        : base(message, innerException) => StatusCode = statusCode;

    /// <summary>Creates the exception for an answer of the endpoint, with its OAuth <c>error</c> code and text.</summary>
    public HoopAiOAuthException(string message, HttpStatusCode statusCode, string? error, string? answer)
        : base(message)
    {
        StatusCode = statusCode;
        Error = error;
        Answer = answer;
    }

    /// <summary>Creates the exception.</summary>
    public HoopAiOAuthException()
        : this("The token endpoint failed.", statusCode: null)
    {
    }

    /// <summary>Creates the exception.</summary>
    public HoopAiOAuthException(string message)
        : this(message, statusCode: null)
    {
    }

    /// <summary>Creates the exception.</summary>
    public HoopAiOAuthException(string message, Exception innerException)
        : this(message, null, innerException)
    {
    }

    /// <summary>The endpoint's status code; null when no answer came (network failure, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The OAuth <c>error</c> code of the answer (<c>invalid_grant</c>, <c>invalid_client</c>, …), when it had one.</summary>
    public string? Error { get; }

    /// <summary>The endpoint's answer, cut short (it never holds our secret), when there was one.</summary>
    public string? Answer { get; }

    /// <summary>True when the endpoint refused the request itself (4xx): retrying the same request will not help.</summary>
    public bool IsRejection => StatusCode is { } code && (int)code is >= 400 and < 500;

    /// <summary>
    /// True for a definite refusal of the grant itself: <c>invalid_grant</c> (the refresh token is spent or revoked) or
    /// "Location is not active". Only these mean the installation needs re-authorisation; 408, 429, 5xx and timeouts
    /// are transient, and <see cref="IsClientRefused"/> is the app's own problem, not the location's.
    /// </summary>
    public bool IsGrantRefused =>
        IsRejection && !IsClientRefused && (int)StatusCode!.Value is not (408 or 429) &&
        (string.Equals(Error, "invalid_grant", StringComparison.Ordinal) ||
         (Answer?.Contains("location is not active", StringComparison.OrdinalIgnoreCase) ?? false));

    /// <summary>True when the app's client credentials were refused (<c>invalid_client</c>, e.g. a rotated secret): every location is affected.</summary>
    public bool IsClientRefused => string.Equals(Error, "invalid_client", StringComparison.Ordinal);
}
