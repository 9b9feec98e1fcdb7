namespace Sync.Messaging.Redelivery;

/// <summary>
/// A failed message could be neither sent back for a later attempt nor dead-lettered (the broker refused or did not
/// confirm the move, or no queue is bound to take it). The consume fails without moving the message: it is returned to
/// its queue and delivered again; the quorum queue's delivery limit is the backstop.
/// </summary>
public sealed class RedeliveryFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RedeliveryFailedException()
        : base("A failed message could not be moved.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RedeliveryFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure of the move.</summary>
    public RedeliveryFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
