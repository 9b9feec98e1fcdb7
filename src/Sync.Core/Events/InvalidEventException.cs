namespace Sync.Core.Events;

/// <summary>An accepted webhook whose payload cannot be turned into work. Permanent: it goes to the dead-letter store, never retried.</summary>
public sealed class InvalidEventException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InvalidEventException()
    {
    }

    /// <summary>Creates the exception with a message saying what is wrong.</summary>
    public InvalidEventException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public InvalidEventException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
