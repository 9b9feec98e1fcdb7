namespace Sync.Core;

/// <summary>A failure that knows what it means: thrown by the API client and the consumers so the redelivery policy need not guess.</summary>
public class SyncFailureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SyncFailureException()
        : this(FailureKind.Transient, "Unclassified failure.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SyncFailureException(string message)
        : this(FailureKind.Transient, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SyncFailureException(string message, Exception innerException)
        : this(FailureKind.Transient, message, null, innerException)
    {
    }

    /// <summary>Creates a classified failure.</summary>
    /// <param name="kind">What the failure means.</param>
    /// <param name="message">What happened, without secrets.</param>
    /// <param name="retryAfter">For <see cref="FailureKind.RateLimited"/>: how long to wait, when known.</param>
    /// <param name="innerException">The cause.</param>
    public SyncFailureException(FailureKind kind, string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        RetryAfter = retryAfter;
    }

    /// <summary>What the failure means.</summary>
    public FailureKind Kind { get; }

    /// <summary>How long to wait before trying again, when the failure says so.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>
    /// For <see cref="FailureKind.Throttled"/>: a slot of the location's schedule reserved for the message, which it
    /// waits for in the queue and then calls in without reserving again.
    /// </summary>
    public ApiSlot? ReservedSlot { get; init; }

    /// <summary>The HTTP status of the API answer that failed, when the failure came from one.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The API's answer (cut short, never a token), when the failure came from one: it helps an operator.</summary>
    public string? ApiAnswer { get; init; }
}
