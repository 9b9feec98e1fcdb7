using System.Net;

namespace Sync.HoopAi.OAuth;

/// <summary>The token endpoint refused a request or answered something unusable.</summary>
public sealed class HoopAiOAuthException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HoopAiOAuthException(string message, HttpStatusCode? statusCode, Exception? innerException = null)
        : base(message, innerException) => StatusCode = statusCode;

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

    /// <summary>True when the endpoint refused the request itself (4xx): retrying the same request will not help.</summary>
    public bool IsRejection => StatusCode is { } code && (int)code is >= 400 and < 500;
}
