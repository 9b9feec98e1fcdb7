using System.ComponentModel.DataAnnotations;

namespace Sync.Ingress;

/// <summary>The webhook ingress. Bound from the <c>Sync:Ingress</c> section and validated at start.</summary>
public sealed class IngressOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Ingress";

    /// <summary>Largest accepted request body in bytes (default 256 KiB); larger bodies get 413.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// How far a webhook's timestamp (platform: the body's <c>timestamp</c>; sources: <c>webhook-timestamp</c>) may be
    /// from now, either way, before it is rejected as stale or from the future (default 5 minutes).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Time budget of one webhook request (default 5 seconds; the platform gives up after 5–10). Must exceed the publish
    /// timeout plus the outbox write timeout; past it the answer is 429 with <c>Retry-After</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Seconds put in <c>Retry-After</c> when an event cannot be accepted durably now (default 30).</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>How long a client may take to send the request headers (Kestrel; default 10 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the set of active locations is reloaded from the database (default 30 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LocationRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An event for a location not in the cached set reloads the set at once, but at most once per this interval
    /// (default 1 second), so a flood of events for unknown locations cannot flood the database.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan LocationMissRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one load of the location set may take (default 2 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan LocationLookupTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The platform's webhook signature keys.</summary>
    public PlatformWebhookOptions Platform { get; set; } = new();

    /// <summary>Your own systems that send Standard Webhooks to <c>/webhooks/sources/{name}</c>, by name.</summary>
    public Dictionary<string, WebhookSourceOptions> Sources { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>How platform webhooks (<c>POST /webhooks/hoopai</c>) are verified. Keys come from configuration only.</summary>
public sealed class PlatformWebhookOptions
{
    /// <summary>
    /// The platform's Ed25519 public key, base64 of its DER SubjectPublicKeyInfo; verifies <c>X-GHL-Signature</c>.
    /// <c>appsettings.json</c> holds the key the platform publishes.
    /// </summary>
    public string Ed25519PublicKey { get; set; } = "";

    /// <summary>Accept the legacy RSA-SHA256 <c>x-wh-signature</c> as well (default false; deprecated by the platform).</summary>
    public bool AcceptRsa { get; set; }

    /// <summary>The platform's legacy RSA public key as PEM; required when <see cref="AcceptRsa"/> is true.</summary>
    public string RsaPublicKey { get; set; } = "";
}

/// <summary>One Standard Webhooks source.</summary>
public sealed class WebhookSourceOptions
{
    /// <summary>
    /// Signing secrets (<c>whsec_</c> + base64 of at least 24 bytes). A signature made with any of them is accepted, so a
    /// sender rotates by adding the new secret here, switching, then removing the old one.
    /// </summary>
    public List<string> Secrets { get; set; } = [];
}
