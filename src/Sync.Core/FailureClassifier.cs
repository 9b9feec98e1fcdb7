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

    /// <summary>
    /// Something the work depends on is not there yet (e.g. a tag change for a contact whose creating event is still
    /// queued): wait, with growing delays, without using up the transient retries; dead-letter only after a long wait.
    /// </summary>
    Waiting,

    /// <summary>
    /// Sync's own budget for the location has no room now (the shared burst schedule or the daily limit): wait until it
    /// has, without using up any retry or deferral count. Not a failure of the API.
    /// </summary>
    Throttled,

    /// <summary>
    /// The API is known to be unwell (its circuit is open): the message goes back without an attempt counted and comes
    /// back once the circuit's probe sees the API answer again.
    /// </summary>
    CircuitOpen,

    /// <summary>
    /// The location's installation waits for re-authorisation (its refresh token was refused): park the work, bounded
    /// by <c>Sync:Redelivery:MaxSuspendedWait</c>, then dead-letter it as an authentication failure.
    /// </summary>
    Suspended,

    /// <summary>
    /// Sync's own infrastructure failed (the database: a deadlock, a timeout, a restart; a socket): wait on a longer
    /// schedule of its own, so an outage of the database does not use up the API's retries or dead-letter work.
    /// </summary>
    Infrastructure,
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

    /// <summary>
    /// Classifies an exception: a <see cref="SyncFailureException"/> says its kind; an event that cannot be understood is
    /// permanent; a database, socket, I/O or timeout failure is <see cref="FailureKind.Infrastructure"/>; anything else (an
    /// unexpected bug) is transient: retried on the schedule, then dead-lettered.
    /// </summary>
    public static FailureKind Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SyncFailureException failure:
                    return failure.Kind;
                case Events.InvalidEventException or FormatException or System.Text.Json.JsonException:
                    return FailureKind.Permanent;
            }
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is System.Data.Common.DbException or System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                return FailureKind.Infrastructure;
            }
        }

        return FailureKind.Transient;
    }

    /// <summary>The wait a rate-limited failure asked for, if any.</summary>
    public static TimeSpan? RetryAfter(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SyncFailureException { RetryAfter: { } wait })
            {
                return wait;
            }
        }

        return null;
    }
}
