using Microsoft.AspNetCore.Http.HttpResults;

namespace Sync.Ingress.Internal;

/// <summary>
/// The RFC 9457 problem answers of the ingress. Each kind has its own <c>type</c> URI (listed in docs/webhooks.md);
/// details name what is wrong and never echo a signature, secret or payload.
/// </summary>
internal static class Problems
{
    private const string TypePrefix = "urn:sync:problem:";

    public static ProblemHttpResult PayloadTooLarge(int maxBytes) =>
        Create(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "Payload too large",
            $"The body is larger than {maxBytes} bytes.");

    public static ProblemHttpResult UnsupportedMediaType() =>
        Create(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
            "The body must be sent as Content-Type: application/json (UTF-8).");

    public static ProblemHttpResult InvalidEvent(string detail) =>
        Create(StatusCodes.Status400BadRequest, "invalid-event", "Invalid event", detail);

    public static ProblemHttpResult UnknownSource(string name) =>
        Create(StatusCodes.Status404NotFound, "unknown-source", "Unknown source",
            $"No webhook source named '{Truncate(name)}' is configured.");

    public static ProblemHttpResult InvalidSignature(string detail) =>
        Create(StatusCodes.Status401Unauthorized, "invalid-signature", "Invalid signature", detail);

    public static ProblemHttpResult StaleTimestamp(TimeSpan maxAge, TimeSpan maxAhead) =>
        Create(StatusCodes.Status401Unauthorized, "stale-timestamp", "Stale or future timestamp",
            $"The event's timestamp is more than {maxAge.TotalSeconds:F0} seconds old or more than {maxAhead.TotalSeconds:F0} seconds ahead of now.");

    public static ProblemHttpResult UnknownLocation() =>
        Create(StatusCodes.Status403Forbidden, "unknown-location", "Unknown location",
            "The event's locationId is not an active installation.");

    public static ProblemHttpResult ForeignApp(bool absent) =>
        Create(StatusCodes.Status403Forbidden, "foreign-app", "Event for another app",
            absent
                ? "INSTALL and UNINSTALL events must carry this app's appId."
                : "The event's appId is not this app's: it was sent to another marketplace app.");

    public static ProblemHttpResult CompanyNotAllowed() =>
        Create(StatusCodes.Status403Forbidden, "company-not-allowed", "Company not allowed",
            "The installing company is not among the companies allowed to install this app.");

    public static ProblemHttpResult TryLater(HttpContext context, int retryAfterSeconds, string detail)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Create(StatusCodes.Status429TooManyRequests, "try-later", "Try again later", detail);
    }

    /// <summary>The kind of a problem this class made (its type URI without the prefix), e.g. <c>invalid-signature</c>.</summary>
    public static string Slug(ProblemHttpResult problem) =>
        problem.ProblemDetails.Type is { } type && type.StartsWith(TypePrefix, StringComparison.Ordinal) ? type[TypePrefix.Length..] : "other";

    private static ProblemHttpResult Create(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + type);

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
