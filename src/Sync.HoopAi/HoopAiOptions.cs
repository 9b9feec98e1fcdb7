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
    [Required]
    public Uri BaseUrl { get; set; } = new("http://127.0.0.1:5099");

    /// <summary>The marketplace app's client id (empty: OAuth installs are not possible).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The marketplace app's client secret. Never logged.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>How long one call may take before it is abandoned (default 10 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when both client credentials are configured.</summary>
    public bool HasClientCredentials => ClientId.Length > 0 && ClientSecret.Length > 0;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl is not { IsAbsoluteUri: true } || (BaseUrl.Scheme != Uri.UriSchemeHttp && BaseUrl.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult($"{SectionName}:BaseUrl must be an absolute http or https address.", [nameof(BaseUrl)]);
        }

        if ((ClientId.Length == 0) != (ClientSecret.Length == 0))
        {
            yield return new ValidationResult(
                $"{SectionName}:ClientId and {SectionName}:ClientSecret must be configured together (or both left empty).",
                [nameof(ClientId), nameof(ClientSecret)]);
        }
    }
}
