using System.ComponentModel.DataAnnotations;

namespace Sync.HoopAi;

/// <summary>How Sync reaches the HoopAI API. Bound from the <c>Sync:HoopAi</c> section.</summary>
public sealed class HoopAiOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:HoopAi";

    /// <summary>
    /// The API's base address (default <c>http://127.0.0.1:5099</c>, the local sandbox); production is
    /// <c>https://services.leadconnectorhq.com</c>.
    /// </summary>
    [Required(ErrorMessage = "Sync:HoopAi:BaseUrl is required.")]
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1:5099");

    /// <summary>The marketplace app's client id (empty: OAuth installs are not possible).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The marketplace app's client secret. Never logged.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>How long one call may take before it is abandoned (default 10 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Sync:HoopAi:Timeout must be between {1} and {2}.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The API version every call sends in the <c>Version</c> header (default <c>2021-07-28</c>).</summary>
    [Required(ErrorMessage = "Sync:HoopAi:ApiVersion is required.")]
    public string ApiVersion { get; set; } = "2021-07-28";

    /// <summary>How long before its expiry an access token is refreshed (default 5 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "12:00:00", ErrorMessage = "Sync:HoopAi:TokenRefreshMargin must be between {1} and {2}.")]
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one process may hold an installation's refresh lease (default 30 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Sync:HoopAi:TokenRefreshLease must be between {1} and {2}.")]
    public TimeSpan TokenRefreshLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long refreshes wait after the token endpoint refused the app's client credentials (<c>invalid_client</c>)
    /// before one is tried again; doubled at each further refusal up to 15 minutes (default 60 seconds).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Sync:HoopAi:ClientCredentialsRetry must be between {1} and {2}.")]
    public TimeSpan ClientCredentialsRetry { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Quick in-process retries of a transient API failure (5xx, timeout) before the message is redelivered later (default 2).</summary>
    [Range(0, 5, ErrorMessage = "Sync:HoopAi:TransientRetries must be between {1} and {2}.")]
    public int TransientRetries { get; set; } = 2;

    /// <summary>The name rate-limit budgets are kept under: the API counts per app and location (default <c>sync</c>).</summary>
    [Required(ErrorMessage = "Sync:HoopAi:AppId is required.")]
    public string AppId { get; set; } = "sync";

    /// <summary>
    /// Pace calls per location across every worker process (default true). Off only where the API's limit is off too,
    /// e.g. a benchmark against the sandbox without limits.
    /// </summary>
    public bool RateLimitEnabled { get; set; } = true;

    /// <summary>Calls per <see cref="RateLimitInterval"/> and location until the API's headers say otherwise (default 100).</summary>
    [Range(1, 100_000, ErrorMessage = "Sync:HoopAi:RateLimitMax must be between {1} and {2}.")]
    public int RateLimitMax { get; set; } = 100;

    /// <summary>The burst interval until the API's headers say otherwise (default 10 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Sync:HoopAi:RateLimitInterval must be between {1} and {2}.")]
    public TimeSpan RateLimitInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Calls per daily window and location until the API's headers say otherwise (default 200,000).</summary>
    [Range(1, int.MaxValue, ErrorMessage = "Sync:HoopAi:RateLimitDaily must be between {1} and {2}.")]
    public int RateLimitDaily { get; set; } = 200_000;

    /// <summary>
    /// The daily budget's window (default one day): windows are aligned on the Unix epoch, so a day's starts at
    /// 00:00 UTC. When a location has used up its budget, its work waits until the window ends.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Sync:HoopAi:RateLimitDailyWindow must be between {1} and {2}.")]
    public TimeSpan RateLimitDailyWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Share of the announced limit kept in reserve for clock and network jitter (default 0.02).</summary>
    [Range(0.0, 0.5, ErrorMessage = "Sync:HoopAi:RateLimitHeadroom must be between {1} and {2}.")]
    public double RateLimitHeadroom { get; set; } = 0.02;

    /// <summary>
    /// The longest a call waits in the consumer for its slot of the shared schedule (default 1 second). A slot further
    /// away is reserved and the message waits for it in the queue's wait tiers (see <see cref="RateLimitSlotHorizon"/>),
    /// so a busy location does not hold consumers other locations need.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Sync:HoopAi:RateLimitMaxWait must be between {1} and {2}.")]
    public TimeSpan RateLimitMaxWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How far ahead a call may reserve its slot of the location's schedule and wait for it in the queue (default 15
    /// minutes); a location whose schedule is full beyond it is refused, and its message asks again later. At most
    /// <see cref="RateLimitMaxWait"/> turns reserving ahead off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Sync:HoopAi:RateLimitSlotHorizon must be between {1} and {2}.")]
    public TimeSpan RateLimitSlotHorizon { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long a location's custom field definitions are kept before they are read again (default 10 minutes). A key
    /// not among them is looked up once more at once, whatever the age.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Sync:HoopAi:CustomFieldsCacheTtl must be between {1} and {2}.")]
    public TimeSpan CustomFieldsCacheTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>True when both client credentials are configured.</summary>
    public bool HasClientCredentials => ClientId.Length > 0 && ClientSecret.Length > 0;

    // Data annotations give the validator no services, so the host's environment is read where the host reads it.
    private static bool IsDevelopment() =>
        string.Equals(
            Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT"),
            "Development",
            StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl is not { IsAbsoluteUri: true } || (BaseUrl.Scheme != Uri.UriSchemeHttp && BaseUrl.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult($"{SectionName}:BaseUrl must be an absolute http or https address.", [nameof(BaseUrl)]);
        }
        else if (BaseUrl.Scheme == Uri.UriSchemeHttp && !BaseUrl.IsLoopback && !IsDevelopment())
        {
            // The client secret and every token would cross the network in clear text.
            yield return new ValidationResult(
                $"{SectionName}:BaseUrl must be an https address outside the Development environment (http is allowed only on loopback).",
                [nameof(BaseUrl)]);
        }

        if ((ClientId.Length == 0) != (ClientSecret.Length == 0))
        {
            yield return new ValidationResult(
                $"{SectionName}:ClientId and {SectionName}:ClientSecret must be configured together (or both left empty).",
                [nameof(ClientId), nameof(ClientSecret)]);
        }
    }
}
