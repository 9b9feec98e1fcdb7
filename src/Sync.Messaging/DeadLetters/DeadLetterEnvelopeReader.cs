using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RabbitMQ.Client;
using Sync.Messaging.Redelivery;
using Sync.Storage;

namespace Sync.Messaging.DeadLetters;

/// <summary>
/// Turns a message taken off an <c>_error</c> queue or <see cref="WorkQueuePolicy.PoisonQueue"/> into the failure the
/// dead-letter store keeps. Reads what is there: Sync's headers when the failure path wrote them, MassTransit's
/// <c>MT-Fault-*</c> otherwise, RabbitMQ's <c>x-death</c> for what the delivery limit dead-lettered, and the envelope
/// itself for the message id, type and location.
/// </summary>
public static class DeadLetterEnvelopeReader
{
    /// <summary>Suffix of MassTransit's error queues.</summary>
    public const string ErrorQueueSuffix = "_error";

    /// <summary>Classification of a message RabbitMQ dead-lettered (delivery limit) with no Sync classification.</summary>
    public const string PoisonClassification = "poison";

    /// <summary>Classification of a fault that carries no Sync classification (e.g. moved by MassTransit itself).</summary>
    public const string UnclassifiedClassification = "unclassified";

    /// <summary>Longest API answer kept, as the failure path cuts it.</summary>
    public const int MaxApiAnswerLength = 300;

    private const int MaxQueueLength = 256;
    private const int MaxMessageIdLength = 100;
    private const int MaxMessageTypeLength = 400;
    private const int MaxLocationIdLength = 64;
    private const int MaxClassificationLength = 64;

    /// <summary>Reads one delivery.</summary>
    /// <param name="queue">The queue it was taken from (<c>&lt;queue&gt;_error</c> or the poison queue).</param>
    /// <param name="properties">Its properties and headers.</param>
    /// <param name="body">Its body.</param>
    /// <param name="receivedAt">When the collector took it (the failure time when the message carries none).</param>
    public static DeadLetterFailure Read(string queue, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, DateTimeOffset receivedAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        ArgumentNullException.ThrowIfNull(properties);
        var headers = ToStrings(properties.Headers);
        var bodyText = Encoding.UTF8.GetString(body.Span);
        var envelope = TryParseObject(bodyText);

        var fromPoison = string.Equals(queue, WorkQueuePolicy.PoisonQueue, StringComparison.Ordinal);
        var sourceQueue = SourceQueue(queue, fromPoison, headers);
        var faultType = Get(headers, DeadLetterHeaders.FaultExceptionType);
        var faultMessage = Get(headers, DeadLetterHeaders.FaultMessage);
        if (faultMessage is null && fromPoison)
        {
            faultMessage = $"dead-lettered by RabbitMQ ({Get(headers, DeadLetterHeaders.FirstDeathReason) ?? "unknown reason"})";
        }

        var classification = Get(headers, DeadLetterHeaders.FailureKind)
                             ?? (fromPoison ? PoisonClassification : UnclassifiedClassification);

        // Cut to what the columns hold: a value too long must not make a message the collector can never store.
        return new DeadLetterFailure(
            Cut(sourceQueue, MaxQueueLength)!,
            Cut(MessageId(properties, envelope, body.Span), MaxMessageIdLength)!,
            Cut(MessageType(envelope, headers, properties), MaxMessageTypeLength),
            Cut(Get(headers, DeadLetterHeaders.LocationId) ?? LocationFromEnvelope(envelope), MaxLocationIdLength),
            bodyText,
            headers,
            Cut(faultType, MaxMessageTypeLength),
            faultMessage,
            Get(headers, DeadLetterHeaders.FaultStackTrace),
            Cut(classification, MaxClassificationLength)!,
            FailedAt(headers, properties, receivedAt))
        {
            HttpStatus = int.TryParse(Get(headers, DeadLetterHeaders.HttpStatus), NumberStyles.Integer, CultureInfo.InvariantCulture, out var status) ? status : null,
            ApiAnswer = Redaction.RemoveSecrets(Cut(Get(headers, DeadLetterHeaders.ApiAnswer), MaxApiAnswerLength)),
            Attempts = Attempts(headers),
            Consumer = Get(headers, DeadLetterHeaders.FaultConsumerType) ?? sourceQueue,
            ReplayOf = Guid.TryParse(Get(headers, DeadLetterHeaders.ReplayOf), out var replayOf) ? replayOf : null,
        };
    }

    /// <summary>
    /// The contract's CLR name from a MassTransit message type URN (<c>urn:message:Sync.Contracts:WebhookReceived</c>
    /// becomes <c>Sync.Contracts.WebhookReceived</c>); other names are returned as they are.
    /// </summary>
    public static string FromMessageUrn(string messageType)
    {
        ArgumentNullException.ThrowIfNull(messageType);
        const string prefix = "urn:message:";
        if (!messageType.StartsWith(prefix, StringComparison.Ordinal))
        {
            return messageType;
        }

        var name = messageType[prefix.Length..];
        var colon = name.LastIndexOf(':');
        return colon < 0 ? name : name[..colon] + "." + name[(colon + 1)..];
    }

    private static string SourceQueue(string queue, bool fromPoison, IReadOnlyDictionary<string, string> headers)
    {
        if (fromPoison)
        {
            return Get(headers, DeadLetterHeaders.FirstDeathQueue) ?? InputQueue(headers) ?? queue;
        }

        return queue.EndsWith(ErrorQueueSuffix, StringComparison.Ordinal) ? queue[..^ErrorQueueSuffix.Length] : InputQueue(headers) ?? queue;
    }

    private static string? InputQueue(IReadOnlyDictionary<string, string> headers) =>
        Uri.TryCreate(Get(headers, DeadLetterHeaders.FaultInputAddress), UriKind.Absolute, out var address)
            ? address.Segments.LastOrDefault()?.Trim('/') is { Length: > 0 } name ? name : null
            : null;

    private static string MessageId(IReadOnlyBasicProperties properties, JsonObject? envelope, ReadOnlySpan<byte> body)
    {
        if (!string.IsNullOrWhiteSpace(properties.MessageId))
        {
            return properties.MessageId;
        }

        if (envelope?["messageId"] is JsonValue value && value.TryGetValue<string>(out var id) && !string.IsNullOrWhiteSpace(id))
        {
            return id;
        }

        // No id at all: the body's hash, so the same message seen twice is still one row.
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body))[..40];
    }

    private static string? MessageType(JsonObject? envelope, IReadOnlyDictionary<string, string> headers, IReadOnlyBasicProperties properties)
    {
        if (envelope?["messageType"] is JsonArray { Count: > 0 } types && types[0] is JsonValue first && first.TryGetValue<string>(out var urn))
        {
            return FromMessageUrn(urn);
        }

        var fromHeader = Get(headers, DeadLetterHeaders.FaultMessageType) ?? properties.Type;
        return fromHeader is null ? null : FromMessageUrn(fromHeader);
    }

    private static string? LocationFromEnvelope(JsonObject? envelope) =>
        envelope?["message"] is JsonObject message && message["locationId"] is JsonValue value && value.TryGetValue<string>(out var location)
            ? location
            : null;

    private static DateTimeOffset FailedAt(IReadOnlyDictionary<string, string> headers, IReadOnlyBasicProperties properties, DateTimeOffset receivedAt)
    {
        if (DateTimeOffset.TryParse(Get(headers, DeadLetterHeaders.FaultTimestamp), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at;
        }

        if (properties.Headers?.TryGetValue(DeadLetterHeaders.Death, out var deaths) == true && deaths is IList { Count: > 0 } list &&
            list[0] is IDictionary<string, object?> death && death.TryGetValue("time", out var time) && time is AmqpTimestamp stamp)
        {
            return DateTimeOffset.FromUnixTimeSeconds(stamp.UnixTime);
        }

        return receivedAt;
    }

    private static int? Attempts(IReadOnlyDictionary<string, string> headers)
    {
        static int? Number(IReadOnlyDictionary<string, string> headers, string name) =>
            int.TryParse(Get(headers, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

        if (Number(headers, DeadLetterHeaders.TransientRedeliveries) is { } redeliveries)
        {
            return redeliveries + 1;
        }

        if (Number(headers, DeadLetterHeaders.RedeliveryCount) is { } mtRedeliveries)
        {
            return mtRedeliveries + 1;
        }

        return Number(headers, DeadLetterHeaders.DeliveryCount) is { } deliveries ? deliveries + 1 : null;
    }

    private static string? Get(IReadOnlyDictionary<string, string> headers, string name) =>
        headers.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private static string? Cut(string? text, int max) => text is null || text.Length <= max ? text : text[..max];

    private static JsonObject? TryParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The headers as text: AMQP strings arrive as bytes, tables and arrays become JSON.</summary>
    internal static Dictionary<string, string> ToStrings(IDictionary<string, object?>? headers)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (headers is null)
        {
            return result;
        }

        foreach (var (key, value) in headers)
        {
            if (value is not null)
            {
                result[key] = Text(value);
            }
        }

        return result;
    }

    private static string Text(object value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string s => s,
        AmqpTimestamp stamp => DateTimeOffset.FromUnixTimeSeconds(stamp.UnixTime).ToString("O", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => JsonSerializer.Serialize(ToJson(value)),
    };

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        IDictionary<string, object?> table => new JsonObject(table.Select(p => KeyValuePair.Create(p.Key, ToJson(p.Value)))),
        IList list and not byte[] => new JsonArray([.. list.Cast<object?>().Select(ToJson)]),
        bool b => JsonValue.Create(b),
        long or int or short or byte or sbyte or uint or ushort or ulong or double or float or decimal => JsonValue.Create(Convert.ToDecimal(value, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(Text(value)),
    };
}
