namespace Sync.Contracts;

/// <summary>
/// A webhook that passed the ingress checks (signature, timestamp, size, JSON, location) and was accepted.
/// Published with a message id derived from (<see cref="Source"/>, <see cref="EventId"/>), so the same event
/// delivered twice carries the same id and the worker's inbox drops the second one.
/// </summary>
/// <param name="Source">Where the event came from: <c>hoopai</c> for the platform, else the configured source name.</param>
/// <param name="EventId">The event's own id (the platform's <c>webhookId</c>, or the Standard Webhooks <c>webhook-id</c>).</param>
/// <param name="EventType">The event's type, e.g. <c>ContactCreate</c>, <c>INSTALL</c>, <c>contact.upserted</c>.</param>
/// <param name="LocationId">The location the event belongs to, when it names one.</param>
/// <param name="OccurredAt">When the event happened, as its sender stated it.</param>
/// <param name="ReceivedAt">When the ingress accepted it.</param>
/// <param name="Payload">The raw JSON body exactly as received.</param>
public sealed record WebhookReceived(
    string Source,
    string EventId,
    string EventType,
    string? LocationId,
    DateTimeOffset OccurredAt,
    DateTimeOffset ReceivedAt,
    string Payload);
