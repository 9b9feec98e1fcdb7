namespace Sync.Core;

/// <summary>What a failure means for the message that met it (invariant 6: a failure is classified, not guessed).</summary>
public enum FailureKind
{
    /// <summary>400, 404, 422 or an invalid payload: retrying cannot help; straight to the dead-letter store.</summary>
    Permanent,

    /// <summary>401 or 403: refresh the token once, then dead-letter as an authentication failure.</summary>
    Authentication,

    /// <summary>429: wait for the rate-limit window to reset; this does not consume a retry.</summary>
    RateLimited,

    /// <summary>5xx, timeouts, connection failures: back off 1, 2, 4, 8 s, then dead-letter.</summary>
    Transient,
}

/// <summary>Maps API answers to <see cref="FailureKind"/> and holds the retry schedule.</summary>
public static class FailureClassifier
{
    /// <summary>Delays of the redelivery schedule for transient failures: 1, 2, 4 and 8 seconds.</summary>
    public static IReadOnlyList<TimeSpan> TransientBackoff { get; } =
        [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)];

    /// <summary>Classifies an HTTP status code of a failed API call.</summary>
    public static FailureKind Classify(int statusCode) => statusCode switch
    {
        401 or 403 => FailureKind.Authentication,
        429 => FailureKind.RateLimited,
        408 => FailureKind.Transient,
        >= 500 => FailureKind.Transient,
        >= 400 => FailureKind.Permanent,
        _ => throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "Not a failure status."),
    };
}
