using System.ComponentModel.DataAnnotations;

namespace Sync.HoopAi.Circuits;

/// <summary>
/// The kill switch (<c>Sync:Circuit</c>): when the API keeps failing transiently (5xx, timeouts, connection failures),
/// its circuit opens, work pauses instead of burning retries, and a probe tests the API on a growing interval until it
/// answers. One circuit guards the API host; one per location guards failures that only one location sees.
/// </summary>
public sealed class ApiCircuitOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Circuit";

    /// <summary>Open circuits at all (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A run of this many transient failures in a row opens a circuit (default 10).</summary>
    [Range(1, 10_000, ErrorMessage = "Sync:Circuit:ConsecutiveFailures must be between {1} and {2}.")]
    public int ConsecutiveFailures { get; set; } = 10;

    /// <summary>Share of transient failures among the calls of the sampling window that opens a circuit (default 0.5).</summary>
    [Range(0.01, 1.0, ErrorMessage = "Sync:Circuit:FailureRatio must be between {1} and {2}.")]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls the sampling window must hold before the ratio counts (default 20).</summary>
    [Range(1, 100_000, ErrorMessage = "Sync:Circuit:MinimumCalls must be between {1} and {2}.")]
    public int MinimumCalls { get; set; } = 20;

    /// <summary>How far back the ratio looks (default 30 s).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Sync:Circuit:SamplingWindow must be between {1} and {2}.")]
    public TimeSpan SamplingWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before a probe once a circuit opened (default 5 s); doubles after each failed probe.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Sync:Circuit:ProbeInterval must be between {1} and {2}.")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between probes (default 60 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Sync:Circuit:MaxProbeInterval must be between {1} and {2}.")]
    public TimeSpan MaxProbeInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Keep a circuit per location too, for failures only one location sees (default true).</summary>
    public bool PerLocation { get; set; } = true;

    /// <summary>
    /// A run of this many transient failures in a row for one location, while the API answers the others, opens that
    /// location's circuit (default 5).
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Sync:Circuit:LocationConsecutiveFailures must be between {1} and {2}.")]
    public int LocationConsecutiveFailures { get; set; } = 5;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxProbeInterval < ProbeInterval)
        {
            yield return new ValidationResult(
                $"{SectionName}:MaxProbeInterval must be at least {SectionName}:ProbeInterval.", [nameof(MaxProbeInterval)]);
        }
    }
}
