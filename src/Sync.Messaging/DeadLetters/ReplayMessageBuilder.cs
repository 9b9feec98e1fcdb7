using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sync.Messaging.Outbox;
using Sync.Storage;

namespace Sync.Messaging.DeadLetters;

/// <summary>
/// Builds the outbox row that sends a dead letter back to the queue it failed on: the original message (taken out of
/// its MassTransit envelope) with the same message id, so the consumer's inbox still recognises it once applied, and
/// without the headers that carry a redelivery schedule (<see cref="DeadLetterHeaders.IsStrippedOnReplay"/>), plus
/// <see cref="DeadLetterHeaders.ReplayOf"/> so that a replay that fails again comes back as a new occurrence.
/// </summary>
public static class ReplayMessageBuilder
{
    // An edit must match the contract exactly: every constructor parameter given, no null where the contract has
    // none, no property the contract does not know (a typo would otherwise be dropped silently).
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    // MassTransit writes enums as names, the outbox as numbers: read either.
    private static readonly JsonSerializerOptions Lenient = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The outbox row replaying <paramref name="deadLetter"/> as it was.</summary>
    /// <exception cref="DeadLetterRefusedException">The stored message cannot be replayed (unknown type, unreadable body).</exception>
    public static OutboxMessage ForReplay(DeadLetter deadLetter, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        var (type, message) = Message(deadLetter);
        object? value;
        try
        {
            value = JsonSerializer.Deserialize(message, type, Lenient);
        }
        catch (JsonException ex)
        {
            throw new DeadLetterRefusedException($"dead letter {deadLetter.Id}: the stored message does not fit {type.FullName}: {ex.Message}");
        }

        if (value is null)
        {
            throw new DeadLetterRefusedException($"dead letter {deadLetter.Id}: the stored message is JSON null.");
        }

        return Row(deadLetter, type, OutboxSerializer.Serialize(value), MessageIdOf(deadLetter), now);
    }

    /// <summary>
    /// The outbox row sending an edited body as a new message (new message id), after checking it against the
    /// message's contract.
    /// </summary>
    /// <exception cref="DeadLetterRefusedException">The edited body is not valid for the contract; the message says why.</exception>
    public static OutboxMessage ForEdit(DeadLetter deadLetter, string editedMessage, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        ArgumentNullException.ThrowIfNull(editedMessage);
        var (type, _) = Message(deadLetter);
        var normalised = Validate(type, editedMessage);
        return Row(deadLetter, type, normalised, Guid.CreateVersion7(now), now);
    }

    /// <summary>The message inside a dead letter's envelope, indented, as an operator edits it.</summary>
    public static string EditableMessage(DeadLetter deadLetter)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        var (_, message) = Message(deadLetter);
        return JsonNode.Parse(message)!.ToJsonString(Indented);
    }

    /// <summary>Checks <paramref name="json"/> against <paramref name="type"/>; returns it as the outbox stores it.</summary>
    /// <exception cref="DeadLetterRefusedException">It does not fit, with the reason.</exception>
    public static string Validate(Type type, string json)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new DeadLetterRefusedException($"the edited body is empty; expected a JSON object for {type.Name}.");
        }

        object? value;
        try
        {
            value = JsonSerializer.Deserialize(json, type, Strict);
        }
        catch (JsonException ex)
        {
            throw new DeadLetterRefusedException($"the edited body is not a valid {type.Name}: {ex.Message}");
        }

        if (value is null)
        {
            throw new DeadLetterRefusedException($"the edited body is JSON null; expected a JSON object for {type.Name}.");
        }

        return OutboxSerializer.Serialize(value);
    }

    private static OutboxMessage Row(DeadLetter deadLetter, Type type, string message, Guid messageId, DateTimeOffset now)
    {
        var headers = deadLetter.Headers
            .Where(h => !DeadLetterHeaders.IsStrippedOnReplay(h.Key))
            .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        headers[DeadLetterHeaders.ReplayOf] = deadLetter.Id.ToString("D");
        if (deadLetter.LocationId is { } location)
        {
            headers[DeadLetterHeaders.LocationId] = location;
        }

        return new OutboxMessage(messageId, type.FullName!, DestinationOf(deadLetter.SourceQueue), message, headers, now) { LocationId = deadLetter.LocationId };
    }

    /// <summary>
    /// Where a replay is sent: the work queue's own exchange (MassTransit binds one of the queue's name to each receive
    /// endpoint), which reaches that queue alone without redeclaring it.
    /// </summary>
    public static string DestinationOf(string queue) => $"exchange:{queue}?type=fanout";

    private static (Type Type, string Message) Message(DeadLetter deadLetter)
    {
        if (!Redelivery.RedeliveryTopologyInitializer.WorkQueues.Any(q => q.Queue == deadLetter.SourceQueue))
        {
            // A send to an exchange no queue is bound to would come back unroutable, and its outbox row retry forever.
            throw new DeadLetterRefusedException(
                $"dead letter {deadLetter.Id}: '{deadLetter.SourceQueue}' is not one of Sync's work queues, so there is nowhere to replay it to.");
        }

        JsonNode? body;
        try
        {
            body = JsonNode.Parse(deadLetter.Body);
        }
        catch (JsonException ex)
        {
            throw new DeadLetterRefusedException($"dead letter {deadLetter.Id}: the stored body is not JSON ({ex.Message}).");
        }

        var typeName = deadLetter.MessageType;
        var message = body;
        if (body is JsonObject envelope && envelope["message"] is JsonObject inner)
        {
            message = inner;
            if (envelope["messageType"] is JsonArray { Count: > 0 } types && types[0]?.GetValue<string>() is { } urn)
            {
                typeName = DeadLetterEnvelopeReader.FromMessageUrn(urn);
            }
        }

        if (typeName is null || OutboxSerializer.ResolveType(typeName) is not { } type)
        {
            throw new DeadLetterRefusedException(
                $"dead letter {deadLetter.Id}: message type '{typeName ?? "(none)"}' is not a Sync contract, so it cannot be replayed.");
        }

        if (message is not JsonObject)
        {
            throw new DeadLetterRefusedException($"dead letter {deadLetter.Id}: the stored message is not a JSON object.");
        }

        return (type, message.ToJsonString());
    }

    private static Guid MessageIdOf(DeadLetter deadLetter)
    {
        if (Guid.TryParse(deadLetter.MessageId, out var id))
        {
            return id;
        }

        // Not a GUID (a hash of a body without id): a stable id derived from it, so replaying twice is still one message.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(deadLetter.MessageId));
        return new Guid(hash.AsSpan(0, 16));
    }
}

/// <summary>A dead-letter operation refused for a reason the operator can act on (shown as is; CLI exit code 1, API 422).</summary>
public sealed class DeadLetterRefusedException(string message) : Exception(message);
