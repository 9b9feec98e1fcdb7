using System.ComponentModel.DataAnnotations;

namespace Sync.Ingress;

/// <summary>The webhook ingress. Bound from the <c>Sync:Ingress</c> section and validated at start.</summary>
public sealed class IngressOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Ingress";

    /// <summary>Largest accepted request body in bytes (default 256 KiB); larger bodies get 413.</summary>
    [Range(1024, 16 * 1024 * 1024, ErrorMessage = "Sync:Ingress:MaxBodyBytes must be between {1} and {2}.")]
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// How far a source's <c>webhook-timestamp</c> (the time of this attempt, signed anew on every retry) may be from now,
    /// either way, and how far a platform event's <c>timestamp</c> may lie in the future (default 5 minutes). The past
    /// window of platform events is <see cref="PlatformWebhookOptions.MaxEventAge"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00", ErrorMessage = "Sync:Ingress:TimestampTolerance must be between {1} and {2}.")]
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Time budget of one webhook request (default 5 seconds; the platform gives up after 5–10). Must exceed the publish
    /// timeout plus the outbox write timeout; past it the answer is 429 with <c>Retry-After</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00", ErrorMessage = "Sync:Ingress:RequestTimeout must be between {1} and {2}.")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Seconds put in <c>Retry-After</c> when an event cannot be accepted durably now (default 30).</summary>
    [Range(1, 3600, ErrorMessage = "Sync:Ingress:RetryAfterSeconds must be between {1} and {2}.")]
    public int RetryAfterSeconds { get; set; } = 30;

    /// <summary>How long a client may take to send the request headers (Kestrel; default 10 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Sync:Ingress:RequestHeadersTimeout must be between {1} and {2}.")]
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the set of active locations is reloaded from the database (default 30 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Sync:Ingress:LocationRefreshInterval must be between {1} and {2}.")]
    public TimeSpan LocationRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An event for a location not in the cached set reloads the set at once, but at most once per this interval
    /// (default 1 second), so a flood of events for unknown locations cannot flood the database.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Sync:Ingress:LocationMissRefreshInterval must be between {1} and {2}.")]
    public TimeSpan LocationMissRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one load of the location set may take (default 2 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Sync:Ingress:LocationLookupTimeout must be between {1} and {2}.")]
    public TimeSpan LocationLookupTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many recently accepted message ids this process remembers (default 100,000), so a retried or replayed
    /// delivery is answered 200 <c>duplicate</c> without being published again. The worker's inbox stays the guarantee.
    /// </summary>
    [Range(1, 10_000_000, ErrorMessage = "Sync:Ingress:RecentEventCapacity must be between {1} and {2}.")]
    public int RecentEventCapacity { get; set; } = 100_000;

    /// <summary>How long one <c>/health/ready</c> answer is reused (default 1 second), so probes cannot load the database.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "Sync:Ingress:ReadinessCacheDuration must be between {1} and {2}.")]
    public TimeSpan ReadinessCacheDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The platform's webhooks: signature keys, this app's id, freshness.</summary>
    public PlatformWebhookOptions Platform { get; set; } = new();

    /// <summary>The app's OAuth install flow (<c>/oauth/start</c>, <c>/oauth/callback</c>).</summary>
    public OAuthInstallOptions OAuth { get; set; } = new();

    /// <summary>Serving HTTPS from a certificate (Kestrel) and HSTS.</summary>
    public TlsOptions Tls { get; set; } = new();

    /// <summary>Running behind a TLS-terminating proxy that sets <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c>.</summary>
    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();

    /// <summary>Your own systems that send Standard Webhooks to <c>/webhooks/sources/{name}</c>, by name.</summary>
    public Dictionary<string, WebhookSourceOptions> Sources { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>How platform webhooks (<c>POST /webhooks/hoopai</c>) are verified. Keys come from configuration only.</summary>
public sealed class PlatformWebhookOptions
{
    /// <summary>Serve <c>POST /webhooks/hoopai</c> (default true). When true, <see cref="AppId"/> is required.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// This marketplace app's id. The platform signs every app's webhooks with the same key, so a valid signature does not
    /// prove an event was sent to this app: <c>INSTALL</c>/<c>UNINSTALL</c> must carry this <c>appId</c>, and any other
    /// event naming a different one is refused (403 <c>foreign-app</c>).
    /// </summary>
    public string AppId { get; set; } = "";

    /// <summary>
    /// When not empty, only these companies (agencies) may install: an <c>INSTALL</c> or an OAuth install naming another
    /// company is refused (403 <c>company-not-allowed</c>). Empty (the default): any company.
    /// </summary>
    public List<string> AllowedCompanyIds { get; set; } = [];

    /// <summary>
    /// How old a platform event's <c>timestamp</c> may be (default 2 hours). The platform retries only after a 429, about
    /// 10 minutes apart and up to 6 times, with the original body and timestamp: the window must cover that whole span.
    /// Replays inside it are answered <c>duplicate</c> and dropped by the worker's inbox.
    /// </summary>
    [Range(typeof(TimeSpan), "00:05:00", "2.00:00:00", ErrorMessage = "Sync:Ingress:Platform:MaxEventAge must be between {1} and {2}.")]
    public TimeSpan MaxEventAge { get; set; } = TimeSpan.FromHours(2);

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

/// <summary>The OAuth install flow. Bound from <c>Sync:Ingress:OAuth</c>.</summary>
public sealed class OAuthInstallOptions
{
    /// <summary>The platform's location chooser that <c>/oauth/start</c> redirects to (default the marketplace's).</summary>
    public Uri AuthorizeUrl { get; set; } = new("https://marketplace.leadconnectorhq.com/oauth/chooselocation");

    /// <summary>
    /// The callback address registered for the app (e.g. <c>https://sync.example.com/oauth/callback</c>). Empty: derived
    /// from the request that reached <c>/oauth/start</c>.
    /// </summary>
    public string RedirectUri { get; set; } = "";

    /// <summary>Scopes requested, space-separated (default <c>contacts.readonly contacts.write</c>).</summary>
    public string Scopes { get; set; } = "contacts.readonly contacts.write";

    /// <summary>How long a <c>state</c> issued by <c>/oauth/start</c> stays valid (default 10 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:30", "01:00:00", ErrorMessage = "Sync:Ingress:OAuth:StateLifetime must be between {1} and {2}.")]
    public TimeSpan StateLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Key that signs <c>state</c> (base64 of at least 32 bytes). Empty (the default): a random key per process, which is
    /// fine for one ingress; several behind one address need the same key.
    /// </summary>
    public string StateKey { get; set; } = "";

    /// <summary>
    /// Accept a callback without <c>state</c>, as an install begun on the marketplace arrives (default true). Off: only
    /// installs begun at <c>/oauth/start</c> complete.
    /// </summary>
    public bool AllowMarketplaceInstalls { get; set; } = true;

    /// <summary>Callbacks (and starts) one client address may make per minute (default 10); more get 429.</summary>
    [Range(1, 10_000, ErrorMessage = "Sync:Ingress:OAuth:PermitsPerMinute must be between {1} and {2}.")]
    public int PermitsPerMinute { get; set; } = 10;

    /// <summary>Attempts at storing an installation after its code was exchanged (default 3), as codes are single-use.</summary>
    [Range(1, 10, ErrorMessage = "Sync:Ingress:OAuth:StoreAttempts must be between {1} and {2}.")]
    public int StoreAttempts { get; set; } = 3;

    /// <summary>Wait before the second attempt, doubled before each next one (default 500 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "Sync:Ingress:OAuth:StoreRetryDelay must be between {1} and {2}.")]
    public TimeSpan StoreRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Where an installation the database would not take after <see cref="StoreAttempts"/> waits, one encrypted file per
    /// location (same key as the stored tokens), until it is written (default <c>pending-installations</c>; a relative path
    /// is under the content root). Created if missing. Keep it on a disk that outlives the process (a volume in a
    /// container), and one directory per ingress process.
    /// </summary>
    public string PendingDirectory { get; set; } = "pending-installations";

    /// <summary>How often the files in <see cref="PendingDirectory"/> are written again (default 5 seconds; also once at start).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Sync:Ingress:OAuth:PendingRetryInterval must be between {1} and {2}.")]
    public TimeSpan PendingRetryInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>HTTPS served by the ingress itself. Bound from <c>Sync:Ingress:Tls</c>.</summary>
public sealed class TlsOptions
{
    /// <summary>
    /// The server certificate: a PKCS#12 (<c>.pfx</c>) file, or a PEM certificate with <see cref="KeyPath"/>. Set, every
    /// <c>https://</c> address in <c>--urls</c> / <c>ASPNETCORE_URLS</c> serves it. Empty (the default): no TLS here.
    /// </summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/>.</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>Password of the PKCS#12 file or of an encrypted PEM key. Never logged.</summary>
    public string Password { get; set; } = "";

    /// <summary><c>max-age</c> of the <c>Strict-Transport-Security</c> header on HTTPS answers (default 365 days).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "730.00:00:00", ErrorMessage = "Sync:Ingress:Tls:HstsMaxAge must be between {1} and {2}.")]
    public TimeSpan HstsMaxAge { get; set; } = TimeSpan.FromDays(365);

    /// <summary>True when a certificate is configured.</summary>
    public bool Enabled => CertificatePath.Length > 0;
}

/// <summary>Forwarded headers from a TLS-terminating proxy. Bound from <c>Sync:Ingress:ForwardedHeaders</c>.</summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Read <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> (default false).</summary>
    public bool Enabled { get; set; }

    /// <summary>Addresses of the proxies trusted to set them (default: loopback only).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks (CIDR, e.g. <c>10.0.0.0/8</c>) of proxies trusted to set them.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}
