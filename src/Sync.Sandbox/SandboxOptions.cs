namespace Sync.Sandbox;

/// <summary>
/// Settings of the sandbox, bound from <c>Sync:Sandbox</c>. Every default mirrors the documented API; limits and
/// faults can also be changed while it runs (<c>/_sandbox/limits</c>, <c>/_sandbox/faults</c> or <see cref="SandboxState"/>).
/// </summary>
public sealed class SandboxOptions
{
    /// <summary>The configuration section: <c>Sync:Sandbox</c>.</summary>
    public const string SectionName = "Sync:Sandbox";

    /// <summary>The only <c>Version</c> header the API accepts.</summary>
    public const string ApiVersion = "2021-07-28";

    /// <summary>
    /// OAuth clients that may call <c>POST /oauth/token</c>. Empty (the default) means one client:
    /// <c>sandbox-client</c> / <c>sandbox-secret</c> for app <c>sandbox-app</c>.
    /// </summary>
    public List<SandboxOAuthClient> OAuthClients { get; set; } = [];

    /// <summary>Private-integration tokens registered at start, e.g. for the local run. Default: none.</summary>
    public List<SandboxPrivateToken> PrivateTokens { get; set; } = [];

    /// <summary>Lifetime of OAuth access tokens, in seconds (<c>expires_in</c>). Default 86399, as the platform.</summary>
    public int AccessTokenLifetimeSeconds { get; set; } = 86399;

    /// <summary>How long an authorization code may be exchanged, in seconds. Default 600.</summary>
    public int AuthorizationCodeLifetimeSeconds { get; set; } = 600;

    /// <summary>
    /// Which key wins when an upsert's email and phone match two different contacts: <c>Email</c> (default) or
    /// <c>Phone</c>. The other key is then dropped from the update, as the platform does.
    /// </summary>
    public DuplicatePriority DuplicatePriority { get; set; } = DuplicatePriority.Email;

    /// <summary>Rate limits per (application, location).</summary>
    public SandboxRateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Faults injected into API calls. Default: none.</summary>
    public SandboxFaultOptions Faults { get; set; } = new();

    /// <summary>The clients in force: <see cref="OAuthClients"/>, or the default client when none is configured.</summary>
    internal IReadOnlyList<SandboxOAuthClient> EffectiveClients =>
        OAuthClients.Count > 0 ? OAuthClients : [SandboxOAuthClient.Default];
}

/// <summary>Which contact key an upsert matches first.</summary>
public enum DuplicatePriority
{
    /// <summary>Email first, then phone.</summary>
    Email,

    /// <summary>Phone first, then email.</summary>
    Phone,
}

/// <summary>An OAuth client (a marketplace app) the sandbox knows.</summary>
public sealed class SandboxOAuthClient
{
    /// <summary>The client used when none is configured.</summary>
    public static SandboxOAuthClient Default { get; } = new() { ClientId = "sandbox-client", ClientSecret = "sandbox-secret", AppId = "sandbox-app" };

    /// <summary>The <c>client_id</c>.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The <c>client_secret</c>.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>The application id its tokens are accounted to for rate limits.</summary>
    public string AppId { get; set; } = "";
}

/// <summary>A static private-integration bearer token bound to one location.</summary>
public sealed class SandboxPrivateToken
{
    /// <summary>The bearer token.</summary>
    public string Token { get; set; } = "";

    /// <summary>The location the token gives access to.</summary>
    public string LocationId { get; set; } = "";

    /// <summary>
    /// The application its calls are accounted to. Default <c>private-integration</c>: all private integrations of a
    /// location share one budget, as on the platform.
    /// </summary>
    public string AppId { get; set; } = TokenStore.PrivateIntegrationAppId;
}

/// <summary>Rate limits, applied per (application, location).</summary>
public sealed class SandboxRateLimitOptions
{
    /// <summary>Whether limits are enforced. When false no request is counted, none is refused and no rate-limit header is sent.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requests allowed per burst interval (<c>X-RateLimit-Max</c>). Default 100.</summary>
    public int BurstLimit { get; set; } = 100;

    /// <summary>The burst interval in milliseconds (<c>X-RateLimit-Interval-Milliseconds</c>). Default 10,000.</summary>
    public int BurstIntervalMilliseconds { get; set; } = 10_000;

    /// <summary>
    /// How the burst interval is counted: <c>Sliding</c> (default; no span of one interval ever holds more than
    /// <see cref="BurstLimit"/> accepted requests, the strictest reading) or <c>Fixed</c> (a window opens with the first
    /// request and resets when it ends).
    /// </summary>
    public RateLimitWindow Window { get; set; } = RateLimitWindow.Sliding;

    /// <summary>Requests allowed per daily window (<c>X-RateLimit-Limit-Daily</c>). Default 200,000.</summary>
    public int DailyLimit { get; set; } = 200_000;

    /// <summary>
    /// Length of the daily window in seconds, windows aligned on the Unix epoch. Default 86,400: the budget resets at
    /// 00:00 UTC, as the platform's; shorter, e.g. to see a used-up daily budget reset within a test.
    /// </summary>
    public int DailyWindowSeconds { get; set; } = 86_400;

    /// <summary>Whether a 429 also carries <c>Retry-After</c> (seconds) and <c>X-RateLimit-Reset</c> (milliseconds). Default false: the platform does not document them.</summary>
    public bool SendResetHeaders { get; set; }

    /// <summary>Largest number of contacts in one bulk tag call; more is answered 422. Default 100 (the platform's limit is undocumented).</summary>
    public int BulkTagsMaxContacts { get; set; } = 100;

    internal SandboxRateLimitOptions Clone() => (SandboxRateLimitOptions)MemberwiseClone();
}

/// <summary>How a burst interval is counted.</summary>
public enum RateLimitWindow
{
    /// <summary>A sliding log: any interval-long span holds at most the limit.</summary>
    Sliding,

    /// <summary>A fixed window opened by the first request.</summary>
    Fixed,
}

/// <summary>
/// Faults injected into API calls (not into <c>/_sandbox</c>). Percentages are 0–100. Faults apply after the bearer
/// and rate-limit checks, so a faulted call counts against the budget as on the platform.
/// </summary>
public sealed class SandboxFaultOptions
{
    /// <summary>Only calls for this location are faulted; null (default) means every location.</summary>
    public string? LocationId { get; set; }

    /// <summary>Fixed latency added to every call, in milliseconds. Default 0.</summary>
    public int LatencyMilliseconds { get; set; }

    /// <summary>Extra latency drawn uniformly from 0 to this many milliseconds. Default 0.</summary>
    public int LatencyJitterMilliseconds { get; set; }

    /// <summary>Percent of calls answered 500. Default 0.</summary>
    public double Error500Percent { get; set; }

    /// <summary>Percent of calls answered 502. Default 0.</summary>
    public double Error502Percent { get; set; }

    /// <summary>Percent of calls answered 503. Default 0.</summary>
    public double Error503Percent { get; set; }

    /// <summary>Percent of calls answered 504. Default 0.</summary>
    public double Error504Percent { get; set; }

    /// <summary>
    /// Percent of the injected 5xx answers given after the call took effect (the change is applied, the client sees
    /// an error), the case that makes retries dangerous. Default 0: errors are injected before any effect.
    /// </summary>
    public double ErrorsAfterEffectPercent { get; set; }

    /// <summary>Percent of calls that hang. Default 0.</summary>
    public double HangPercent { get; set; }

    /// <summary>How long a hanging call hangs before it is served normally, in seconds; 0 (default) hangs until the client gives up.</summary>
    public int HangSeconds { get; set; }

    /// <summary>The next this-many calls are answered 429. Default 0.</summary>
    public int Force429Count { get; set; }

    /// <summary>Every call for this many seconds from when the setting is applied is answered 429. Default 0.</summary>
    public int Force429Seconds { get; set; }

    /// <summary>
    /// Whether the forced 429s (<see cref="Force429Count"/>, <see cref="Force429Seconds"/>) come without any rate-limit
    /// header (no <c>X-RateLimit-*</c>, no <c>Retry-After</c>), so the client cannot know how long to wait. Default false.
    /// </summary>
    public bool Force429WithoutHeaders { get; set; }

    /// <summary>Whether <c>POST /oauth/token</c> is faulted too (latency, errors, hangs). Default false.</summary>
    public bool IncludeOAuth { get; set; }

    /// <summary>
    /// Every <c>POST /oauth/token</c> is answered with this status (408, 429, 500, 502, 503 or 504) and an OAuth error
    /// body, whatever <see cref="IncludeOAuth"/> and <see cref="LocationId"/> say; API calls are not affected. Default 0: none.
    /// </summary>
    public int OAuthErrorStatus { get; set; }

    /// <summary>
    /// Bulk tag answers (201) leave out the per-contact <c>responses</c> list, keeping <c>succeded</c> and
    /// <c>errorCount</c>: an answer a client must not read as "every contact failed". Default false.
    /// </summary>
    public bool BulkOmitResponses { get; set; }

    /// <summary>
    /// Bulk tag calls that carry this tag (compared case-insensitively) answer 201 with every contact as an error
    /// ("Tag … is invalid"), so one call of a batch fails while the others succeed. Default null: none.
    /// </summary>
    public string? BulkRejectTag { get; set; }

    internal SandboxFaultOptions Clone() => (SandboxFaultOptions)MemberwiseClone();
}
