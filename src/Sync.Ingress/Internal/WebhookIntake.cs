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
    RecentEvents recent,
    WebhookHandoff handoff,
    TimeProvider time,
    ILogger<WebhookIntake> logger)
{
    private const string Duplicate = "duplicate";

    public IngressOptions Options => options.Value;

    public WebhookVerifiers Verifiers => verifiers;

    public TimeProvider Time => time;

    /// <summary>
    /// True when a platform event's <paramref name="timestamp"/> is at most <see cref="PlatformWebhookOptions.MaxEventAge"/>
    /// old (the platform's retries resend the original timestamp) and at most the tolerance ahead of now.
    /// </summary>
    public bool IsFreshPlatformEvent(DateTimeOffset timestamp)
    {
        var age = time.GetUtcNow() - timestamp;
        return age <= Options.Platform.MaxEventAge && -age <= Options.TimestampTolerance;
    }

    /// <summary>
    /// The platform signs every app's events with one key: an event meant for another app is refused. <c>INSTALL</c> and
    /// <c>UNINSTALL</c> always carry <c>appId</c>, so theirs must be present and ours; other events only may not name
    /// another app. An <c>INSTALL</c> must also come from an allowed company when a list is set.
    /// </summary>
    public ProblemHttpResult? CheckPlatformApp(WebhookEnvelope envelope)
    {
        var platform = Options.Platform;
        var lifecycle = PlatformEventReader.IsLifecycleEvent(envelope.EventType);
        if ((lifecycle && envelope.AppId is null) ||
            (envelope.AppId is not null && !string.Equals(envelope.AppId, platform.AppId, StringComparison.Ordinal)))
        {
            return Problems.ForeignApp(absent: envelope.AppId is null);
        }

        if (envelope.EventType == PlatformEventReader.InstallType && !IsAllowedCompany(envelope.CompanyId))
        {
            return Problems.CompanyNotAllowed();
        }

        return null;
    }

    /// <summary>True when no company allow-list is set, or <paramref name="companyId"/> is on it.</summary>
    public bool IsAllowedCompany(string? companyId) =>
        Options.Platform.AllowedCompanyIds.Count == 0 ||
        (companyId is not null && Options.Platform.AllowedCompanyIds.Contains(companyId, StringComparer.Ordinal));

    /// <summary>
    /// Answers a delivery this process already handed over with 200 <c>duplicate</c> (nothing published again), or checks
    /// the location, hands the event over and answers; logs the outcome.
    /// </summary>
    public async Task<Results<Ok<WebhookAccepted>, ProblemHttpResult>> AcceptAsync(
        HttpContext context, string source, WebhookEnvelope envelope, byte[] body, DateTimeOffset receivedAt, long started)
    {
        var messageId = DeterministicId.ForWebhook(source, envelope.EventId);
        if (recent.Contains(messageId))
        {
            Log(LogLevel.Information, source, envelope, Duplicate, StatusCodes.Status200OK, started);
            Count(source, envelope, Duplicate);
            return TypedResults.Ok(new WebhookAccepted(envelope.EventId, messageId, Duplicate));
        }

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
        SyncTelemetry.HandoffDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>("outcome", outcome.ToString().ToLowerInvariant()));
        if (outcome == HandoffOutcome.Refused)
        {
            return Refuse(context, source, started, envelope, "the event cannot be stored durably now");
        }

        recent.Add(messageId);
        if (envelope.EventType == PlatformEventReader.InstallType && envelope.LocationId is { } installed)
        {
            locations.Remember(installed);
        }

        var handedOff = outcome == HandoffOutcome.Published ? "published" : "stored";
        Log(LogLevel.Information, source, envelope, handedOff, StatusCodes.Status200OK, started);
        Count(source, envelope, handedOff);
        return TypedResults.Ok(new WebhookAccepted(envelope.EventId, messageId, handedOff));
    }

    /// <summary>Logs a rejection and returns its problem answer.</summary>
    public ProblemHttpResult Reject(ProblemHttpResult problem, string source, long started, WebhookEnvelope? envelope = null)
    {
        Log(LogLevel.Warning, source, envelope, "rejected: " + problem.ProblemDetails.Title, problem.StatusCode, started);
        Count(source, envelope, "rejected:" + Problems.Slug(problem));
        return problem;
    }

    private ProblemHttpResult Refuse(HttpContext context, string source, long started, WebhookEnvelope envelope, string reason)
    {
        var problem = Problems.TryLater(context, Options.RetryAfterSeconds, $"Not accepted: {reason}. Retry later.");
        Log(LogLevel.Warning, source, envelope, "refused: " + reason, problem.StatusCode, started);
        Count(source, envelope, "refused");
        return problem;
    }

    // Labels stay bounded: the source is a configured name (or "unknown-source"), the type comes from a verified event.
    private static void Count(string source, WebhookEnvelope? envelope, string outcome) =>
        SyncTelemetry.Webhooks.Add(1,
            new KeyValuePair<string, object?>("source", source),
            new KeyValuePair<string, object?>("type", envelope?.EventType ?? "-"),
            new KeyValuePair<string, object?>("outcome", outcome));

    private void Log(LogLevel level, string source, WebhookEnvelope? envelope, string outcome, int status, long started) =>
        IngressLog.Webhook(logger, level, source, envelope?.EventType ?? "-", envelope?.LocationId ?? "-", envelope?.EventId ?? "-", outcome, status,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}

/// <summary>The answer to an accepted webhook.</summary>
/// <param name="EventId">The event's id.</param>
/// <param name="MessageId">The id it is published with (the same for every delivery of the event).</param>
/// <param name="Handoff">
/// <c>published</c> (confirmed by the broker), <c>stored</c> (in the outbox, published shortly) or <c>duplicate</c> (this
/// process already handed this event over; nothing was published again).
/// </param>
public sealed record WebhookAccepted(string EventId, Guid MessageId, string Handoff);
