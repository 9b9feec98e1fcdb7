namespace Sync.Ingress.Internal;

/// <summary>The ingress's log lines. One line per webhook; payloads, signatures and secrets are never logged.</summary>
internal static partial class IngressLog
{
    [LoggerMessage(EventId = 1001,
        Message = "Webhook {Source} {EventType} location {LocationId} event {EventId}: {Outcome} ({Status}) in {ElapsedMs:F1} ms")]
    public static partial void Webhook(
        ILogger logger, LogLevel level, string source, string? eventType, string? locationId, string? eventId, string outcome, int status, double elapsedMs);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error,
        Message = "Webhook request on {Path} failed unexpectedly ({ExceptionType}); answered 429 so the sender retries")]
    public static partial void WebhookFailed(ILogger logger, Exception exception, string path, string exceptionType);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "Webhook request on {Path} ran out of time or was abandoned; answered 429 so the sender retries")]
    public static partial void WebhookTimedOut(ILogger logger, string path);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Installed location {LocationId} (company {CompanyId}) through OAuth")]
    public static partial void Installed(ILogger logger, string locationId, string? companyId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "OAuth code exchange failed: {Reason}")]
    public static partial void OAuthFailed(ILogger logger, string reason);
}
