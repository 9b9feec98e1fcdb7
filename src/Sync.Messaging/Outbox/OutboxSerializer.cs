using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Sync.Contracts;
using Sync.Core;
using Sync.Storage;

namespace Sync.Messaging.Outbox;

/// <summary>
/// The outbox's message format: <see cref="OutboxMessage.MessageType"/> is the contract's full CLR name (e.g.
/// <c>Sync.Contracts.WebhookReceived</c>) and <see cref="OutboxMessage.Body"/> the message as System.Text.Json writes it
/// with web defaults (camelCase property names, ISO-8601 dates). Any writer of outbox rows uses this class, and the
/// relay reads rows back with it, so both sides always agree.
/// </summary>
public static class OutboxSerializer
{
    /// <summary><see cref="OutboxMessage.Destination"/> meaning "publish to the type's exchange".</summary>
    public const string PublishDestination = "publish";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    private static readonly ConcurrentDictionary<string, Type?> Types = new(StringComparer.Ordinal);

    /// <summary>Builds an outbox row that publishes <paramref name="message"/> with <paramref name="messageId"/>.</summary>
    public static OutboxMessage ForPublish<T>(T message, Guid messageId, DateTimeOffset availableAt)
        where T : class => ForSend(message, PublishDestination, messageId, availableAt);

    /// <summary>
    /// Builds an outbox row that sends <paramref name="message"/> with <paramref name="messageId"/> to
    /// <paramref name="destination"/>: <see cref="PublishDestination"/>, an <c>exchange:</c> address or a queue name.
    /// </summary>
    public static OutboxMessage ForSend<T>(T message, string destination, Guid messageId, DateTimeOffset availableAt)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        return new OutboxMessage(
            messageId,
            typeof(T).FullName!,
            destination,
            JsonSerializer.Serialize(message, Options),
            TraceHeaders(),
            availableAt);
    }

    /// <summary>
    /// The trace context of the work writing a row (<see cref="SyncTelemetry.TraceParentHeader"/>, and the trace state
    /// when there is one), so the relay's publish continues that trace; empty when nothing is traced.
    /// </summary>
    public static Dictionary<string, string> TraceHeaders()
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } current)
        {
            headers[SyncTelemetry.TraceParentHeader] = current.Id!;
            if (current.TraceStateString is { Length: > 0 } state)
            {
                headers[SyncTelemetry.TraceStateHeader] = state;
            }
        }

        return headers;
    }

    /// <summary>Serializes a message as the outbox stores it.</summary>
    public static string Serialize<T>(T message) => JsonSerializer.Serialize(message, Options);

    /// <summary>The contract type a row names, or null when no contract of that name exists.</summary>
    public static Type? ResolveType(string messageType) =>
        Types.GetOrAdd(messageType, static name => typeof(WebhookReceived).Assembly.GetType(name, throwOnError: false, ignoreCase: false));

    /// <summary>Reads a row's body back into its contract type.</summary>
    /// <exception cref="JsonException">The body does not fit the type.</exception>
    public static object Deserialize(string body, Type messageType) =>
        JsonSerializer.Deserialize(body, messageType, Options) ?? throw new JsonException("The body is JSON null.");
}
