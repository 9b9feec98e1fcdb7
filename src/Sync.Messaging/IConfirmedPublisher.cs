namespace Sync.Messaging;

/// <summary>
/// Publishes to RabbitMQ and returns only once the broker has confirmed the message (publisher confirms), bounded
/// by <see cref="RabbitMqOptions.PublishTimeout"/>. Messages are published as mandatory: a message no queue is bound
/// to is returned by the broker and the publish fails, rather than being dropped in silence.
/// </summary>
public interface IConfirmedPublisher
{
    /// <summary>Publishes <paramref name="message"/> to its type's exchange with the given message id.</summary>
    /// <exception cref="PublishFailedException">Not confirmed: broker unreachable, slow, refusing or returning the message.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task PublishAsync<T>(T message, Guid messageId, CancellationToken cancellationToken)
        where T : class;

    /// <summary>
    /// Publishes (<paramref name="destination"/> = <c>publish</c>) or sends to the queue named by
    /// <paramref name="destination"/> a message of a type known only at run time, with the given id and headers.
    /// </summary>
    /// <exception cref="PublishFailedException">Not confirmed: broker unreachable, slow, refusing or returning the message.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task PublishAsync(
        object message,
        Type messageType,
        string destination,
        Guid messageId,
        IReadOnlyDictionary<string, string> headers,
        CancellationToken cancellationToken);

    /// <summary>
    /// Like <see cref="PublishAsync(object, Type, string, Guid, IReadOnlyDictionary{string, string}, CancellationToken)"/>
    /// for a message already serialized as the outbox stores it (<see cref="Outbox.OutboxSerializer"/>): the outbox relay
    /// publishes a row's body as it is, without reading it back into an object first.
    /// </summary>
    /// <exception cref="PublishFailedException">Not confirmed: broker unreachable, slow, refusing or returning the message.</exception>
    /// <exception cref="System.Text.Json.JsonException"><paramref name="body"/> is not JSON of <paramref name="messageType"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task PublishSerializedAsync(
        Type messageType,
        string body,
        string destination,
        Guid messageId,
        IReadOnlyDictionary<string, string> headers,
        CancellationToken cancellationToken);
}

/// <summary>A publish that the broker did not confirm within the bound, or refused.</summary>
public sealed class PublishFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PublishFailedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public PublishFailedException()
        : base("The publish was not confirmed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public PublishFailedException(string message)
        : base(message)
    {
    }

    /// <summary>True when the bound ran out before the broker answered (it may still take the message).</summary>
    public bool TimedOut { get; init; }
}
