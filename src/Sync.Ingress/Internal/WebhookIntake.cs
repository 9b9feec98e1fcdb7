using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sync.Contracts;
using Sync.Core;
using Sync.Core.Webhooks;
using Sync.Messaging;

namespace Sync.Ingress.Internal;

/// <summary>What the webhook endpoints share: the checks after verification, the durable handoff and the log line.</summary>
internal sealed class WebhookIntake(
    IOptions<IngressOptions> options,
    WebhookVerifiers verifiers,
    KnownLocations locations,
    WebhookHandoff handoff,
    TimeProvider time,
    ILogger<WebhookIntake> logger)
{
    public IngressOptions Options => options.Value;

    public WebhookVerifiers Verifiers => verifiers;

    public TimeProvider Time => time;

    /// <summary>True when <paramref name="timestamp"/> is within the tolerance of now.</summary>
    public bool IsFresh(DateTimeOffset timestamp) => (time.GetUtcNow() - timestamp).Duration() <= Options.TimestampTolerance;

    /// <summary>Checks the location, hands the event over and answers; logs the outcome.</summary>
    public async Task<Results<Ok<WebhookAccepted>, ProblemHttpResult>> AcceptAsync(
        HttpContext context, string source, WebhookEnvelope envelope, byte[] body, DateTimeOffset receivedAt, long started)
    {
        var exempt = source == PlatformEventReader.Source && PlatformEventReader.IsLifecycleEvent(envelope.EventType);
        if (!exempt)
        {
            var check = await locations.CheckAsync(envelope.LocationId!, context.RequestAborted);
            if (check == LocationCheck.Unknown)
            {
                return Reject(Problems.UnknownLocation(), source, started, envelope);
            }

            if (check == LocationCheck.Unavailable)
            {
                return Refuse(context, source, started, envelope, "the location list cannot be read now");
            }
        }

        var message = new WebhookReceived(
            source, envelope.EventId, envelope.EventType, envelope.LocationId, envelope.OccurredAt, receivedAt, Encoding.UTF8.GetString(body));
        var outcome = await handoff.HandOffAsync(message, context.RequestAborted);
        if (outcome == HandoffOutcome.Refused)
        {
            return Refuse(context, source, started, envelope, "the event cannot be stored durably now");
        }

        if (envelope.EventType == PlatformEventReader.InstallType && envelope.LocationId is { } installed)
        {
            locations.Remember(installed);
        }

        var handedOff = outcome == HandoffOutcome.Published ? "published" : "stored";
        Log(LogLevel.Information, source, envelope, handedOff, StatusCodes.Status200OK, started);
        return TypedResults.Ok(new WebhookAccepted(envelope.EventId, DeterministicId.ForWebhook(source, envelope.EventId), handedOff));
    }

    /// <summary>Logs a rejection and returns its problem answer.</summary>
    public ProblemHttpResult Reject(ProblemHttpResult problem, string source, long started, WebhookEnvelope? envelope = null)
    {
        Log(LogLevel.Warning, source, envelope, "rejected: " + problem.ProblemDetails.Title, problem.StatusCode, started);
        return problem;
    }

    private ProblemHttpResult Refuse(HttpContext context, string source, long started, WebhookEnvelope envelope, string reason)
    {
        var problem = Problems.TryLater(context, Options.RetryAfterSeconds, $"Not accepted: {reason}. Retry later.");
        Log(LogLevel.Warning, source, envelope, "refused: " + reason, problem.StatusCode, started);
        return problem;
    }

    private void Log(LogLevel level, string source, WebhookEnvelope? envelope, string outcome, int status, long started) =>
        IngressLog.Webhook(logger, level, source, envelope?.EventType ?? "-", envelope?.LocationId ?? "-", envelope?.EventId ?? "-", outcome, status,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}

/// <summary>The answer to an accepted webhook.</summary>
/// <param name="EventId">The event's id.</param>
/// <param name="MessageId">The id it is published with (the same for every delivery of the event).</param>
/// <param name="Handoff"><c>published</c> (confirmed by the broker) or <c>stored</c> (in the outbox, published shortly).</param>
public sealed record WebhookAccepted(string EventId, Guid MessageId, string Handoff);
