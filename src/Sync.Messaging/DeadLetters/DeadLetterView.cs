using System.Text.Json;
using System.Text.Json.Nodes;
using Sync.Storage;

namespace Sync.Messaging.DeadLetters;

/// <summary>
/// A dead letter as operators see it (CLI JSON, exports, the admin API): the stored fields, the headers and the body,
/// redacted of personal data unless asked for it.
/// </summary>
public sealed record DeadLetterView
{
    /// <summary>Its id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The queue it failed on.</summary>
    public required string Queue { get; init; }

    /// <summary>The message id.</summary>
    public required string MessageId { get; init; }

    /// <summary>The message type.</summary>
    public string? MessageType { get; init; }

    /// <summary>The location.</summary>
    public string? LocationId { get; init; }

    /// <summary>Sync's classification.</summary>
    public required string Classification { get; init; }

    /// <summary>Where it stands (<c>new</c>, <c>replayed</c>, <c>discarded</c>).</summary>
    public required string Status { get; init; }

    /// <summary>The group it belongs to.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>The exception type.</summary>
    public string? FaultType { get; init; }

    /// <summary>The exception message.</summary>
    public string? FaultMessage { get; init; }

    /// <summary>The last HTTP status.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The API's answer.</summary>
    public string? ApiAnswer { get; init; }

    /// <summary>The consumer that failed.</summary>
    public string? Consumer { get; init; }

    /// <summary>How many tries in all.</summary>
    public int? Attempts { get; init; }

    /// <summary>How many times it reached the store.</summary>
    public required int FailureCount { get; init; }

    /// <summary>How many times it was replayed.</summary>
    public required int ReplayCount { get; init; }

    /// <summary>The dead letter this one is a failed replay of.</summary>
    public Guid? ReplayOf { get; init; }

    /// <summary>First failure.</summary>
    public required DateTimeOffset FirstFailedAt { get; init; }

    /// <summary>Latest failure.</summary>
    public required DateTimeOffset LastFailedAt { get; init; }

    /// <summary>The stack trace (only in detailed views).</summary>
    public string? StackTrace { get; init; }

    /// <summary>The transport headers (only in detailed views).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>The body as JSON (only in detailed views); a string when the body is not JSON.</summary>
    public JsonNode? Body { get; init; }

    /// <summary>Builds the view.</summary>
    /// <param name="deadLetter">The dead letter.</param>
    /// <param name="detailed">Include stack trace, headers and body.</param>
    /// <param name="includePersonalData">Leave emails, phones and names as they are.</param>
    public static DeadLetterView From(DeadLetter deadLetter, bool detailed, bool includePersonalData)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        string? Text(string? value) => includePersonalData ? Redaction.RemoveSecrets(value) : Redaction.RedactText(value);
        return new DeadLetterView
        {
            Id = deadLetter.Id,
            Queue = deadLetter.SourceQueue,
            MessageId = deadLetter.MessageId,
            MessageType = deadLetter.MessageType,
            LocationId = deadLetter.LocationId,
            Classification = deadLetter.Classification,
            Status = deadLetter.Status.ToString().ToLowerInvariant(),
            Fingerprint = deadLetter.Fingerprint,
            FaultType = deadLetter.FaultType,
            FaultMessage = Text(deadLetter.FaultMessage),
            HttpStatus = deadLetter.HttpStatus,
            ApiAnswer = Text(deadLetter.ApiAnswer),
            Consumer = deadLetter.Consumer,
            Attempts = deadLetter.Attempts,
            FailureCount = deadLetter.FailureCount,
            ReplayCount = deadLetter.ReplayCount,
            ReplayOf = deadLetter.ReplayOf,
            FirstFailedAt = deadLetter.FirstFailedAt,
            LastFailedAt = deadLetter.LastFailedAt,
            StackTrace = detailed ? deadLetter.FaultStackTrace : null,
            Headers = detailed
                ? deadLetter.Headers.ToDictionary(h => h.Key, h => Text(h.Value) ?? "", StringComparer.Ordinal)
                : null,
            Body = detailed ? ParseBody(deadLetter.Body, includePersonalData) : null,
        };
    }

    private static JsonNode? ParseBody(string body, bool includePersonalData)
    {
        var text = includePersonalData ? body : Redaction.RedactJson(body);
        try
        {
            var node = JsonNode.Parse(text);
            return Unfold(node);
        }
        catch (JsonException)
        {
            return JsonValue.Create(includePersonalData ? Redaction.RemoveSecrets(text) : text);
        }
    }

    // A webhook's payload is JSON inside a string: shown as JSON, so it pretty-prints with the rest.
    private static JsonNode? Unfold(JsonNode? node)
    {
        if (node is JsonObject obj && obj["message"] is JsonObject message && message["payload"] is JsonValue payload &&
            payload.TryGetValue<string>(out var inner) && inner.TrimStart().StartsWith('{'))
        {
            try
            {
                message["payload"] = JsonNode.Parse(inner);
            }
            catch (JsonException)
            {
                // Not JSON after all: left as the string it is.
            }
        }

        return node;
    }

    /// <summary>JSON options every writer of views uses (camelCase, indented, enums as names).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
