namespace Sync.Core.Webhooks;

/// <summary>
/// Reads the platform's webhook bodies: flat JSON objects with <c>type</c>, <c>webhookId</c>, <c>timestamp</c> and
/// <c>locationId</c> beside the entity's fields. <c>locationId</c> may be missing only from app lifecycle events
/// (<c>INSTALL</c>, <c>UNINSTALL</c>) that name a <c>companyId</c> instead (agency-level installs).
/// </summary>
public static class PlatformEventReader
{
    /// <summary>The source name of platform events.</summary>
    public const string Source = Events.WebhookNormalizer.PlatformSource;

    /// <summary>Type of the app install event.</summary>
    public const string InstallType = "INSTALL";

    /// <summary>Type of the app uninstall event.</summary>
    public const string UninstallType = "UNINSTALL";

    /// <summary>True for <c>INSTALL</c> and <c>UNINSTALL</c>, which are accepted for locations not (or no longer) installed.</summary>
    public static bool IsLifecycleEvent(string eventType) => eventType is InstallType or UninstallType;

    /// <summary>Reads and checks a body.</summary>
    public static WebhookReadResult Read(ReadOnlyMemory<byte> body)
    {
        if (!JsonFields.TryParse(body, out var document, out var error))
        {
            return WebhookReadResult.Invalid(error!);
        }

        using (document)
        {
            var root = document!.RootElement;
            var missing = new List<string>(4);

            var type = JsonFields.NonEmptyString(root, "type");
            if (type is null)
            {
                missing.Add("type");
            }

            var webhookId = JsonFields.NonEmptyString(root, "webhookId");
            if (webhookId is null)
            {
                missing.Add("webhookId");
            }

            var timestampText = JsonFields.NonEmptyString(root, "timestamp");
            if (timestampText is null)
            {
                missing.Add("timestamp");
            }

            var locationId = JsonFields.NonEmptyString(root, "locationId");
            var companyId = JsonFields.NonEmptyString(root, "companyId");
            if (locationId is null && !(type is not null && IsLifecycleEvent(type) && companyId is not null))
            {
                missing.Add("locationId");
            }

            if (missing.Count > 0)
            {
                return WebhookReadResult.Invalid($"Required fields are missing or empty: {string.Join(", ", missing)}.");
            }

            if (webhookId!.Length > JsonFields.MaxIdLength)
            {
                return WebhookReadResult.Invalid($"webhookId is longer than {JsonFields.MaxIdLength} characters.");
            }

            if (!JsonFields.IsOptionalString(root, "appId"))
            {
                return WebhookReadResult.Invalid("appId must be a string when present.");
            }

            if (!JsonFields.TryParseDateTime(timestampText, out var occurredAt))
            {
                return WebhookReadResult.Invalid("timestamp is not an ISO-8601 date-time with an offset (e.g. 2025-01-28T14:35:00Z).");
            }

            return WebhookReadResult.Valid(new WebhookEnvelope(
                webhookId, type!, locationId, companyId, occurredAt, JsonFields.NonEmptyString(root, "appId")));
        }
    }
}
