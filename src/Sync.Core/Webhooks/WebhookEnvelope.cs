namespace Sync.Core.Webhooks;

/// <summary>What the ingress needs to know of an accepted event: its identity, kind, location and time.</summary>
/// <param name="EventId">The event's own id (platform <c>webhookId</c>, source <c>id</c>).</param>
/// <param name="EventType">The event's type (platform <c>type</c>, source <c>type</c>).</param>
/// <param name="LocationId">The location it belongs to; null only for company-level lifecycle events.</param>
/// <param name="CompanyId">The company (agency) it names, when it names one.</param>
/// <param name="OccurredAt">When it happened, as its sender stated it.</param>
/// <param name="AppId">The marketplace app the platform sent it for (platform <c>appId</c>), when it names one.</param>
public sealed record WebhookEnvelope(
    string EventId,
    string EventType,
    string? LocationId,
    string? CompanyId,
    DateTimeOffset OccurredAt,
    string? AppId = null);

/// <summary>The result of reading an event body: an envelope, or why the body is not acceptable.</summary>
public readonly record struct WebhookReadResult
{
    private WebhookReadResult(WebhookEnvelope? envelope, string? error)
    {
        Envelope = envelope;
        Error = error;
    }

    /// <summary>The envelope, when the body is acceptable.</summary>
    public WebhookEnvelope? Envelope { get; }

    /// <summary>Why the body is not acceptable (safe to show to the sender: names fields, never quotes values).</summary>
    public string? Error { get; }

    /// <summary>True when <see cref="Envelope"/> is set.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Envelope))]
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Envelope is not null;

    /// <summary>An acceptable body.</summary>
    public static WebhookReadResult Valid(WebhookEnvelope envelope) => new(envelope, null);

    /// <summary>An unacceptable body.</summary>
    public static WebhookReadResult Invalid(string error) => new(null, error);
}
