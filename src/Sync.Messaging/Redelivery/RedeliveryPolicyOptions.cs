using System.ComponentModel.DataAnnotations;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// What happens to a message whose consumer failed (<c>Sync:Redelivery</c>): immediate retries, then delayed
/// redelivery through the wait queues, then the error queue. Permanent failures skip straight to the error queue.
/// </summary>
public sealed class RedeliveryPolicyOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Redelivery";

    /// <summary>Immediate retries of a transient failure before it is redelivered later (default 1).</summary>
    [Range(0, 10, ErrorMessage = "Sync:Redelivery:ImmediateRetries must be between {1} and {2}.")]
    public int ImmediateRetries { get; set; } = 1;

    /// <summary>Seconds of the delayed redeliveries of a transient failure (default 1, 2, 4, 8); then the error queue.</summary>
    /// <remarks>Empty means the default: configuration binding appends to a list, so the default is not put in it.</remarks>
    public List<int> TransientBackoffSeconds { get; set; } = [];

    /// <summary>How many times one message may wait for a rate limit to reset before it is dead-lettered (default 200).</summary>
    [Range(1, 100_000, ErrorMessage = "Sync:Redelivery:MaxRateLimitDeferrals must be between {1} and {2}.")]
    public int MaxRateLimitDeferrals { get; set; } = 200;

    /// <summary>
    /// How many times one message may wait for a missing prerequisite (e.g. its contact not created yet), 2 s doubling
    /// up to <see cref="MaxWaitDelaySeconds"/>, before it is dead-lettered (default 40: about 10 minutes in all).
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Sync:Redelivery:MaxWaitDeferrals must be between {1} and {2}.")]
    public int MaxWaitDeferrals { get; set; } = 40;

    /// <summary>The longest single wait for a missing prerequisite (default 16 s).</summary>
    [Range(1, 3600, ErrorMessage = "Sync:Redelivery:MaxWaitDelaySeconds must be between {1} and {2}.")]
    public int MaxWaitDelaySeconds { get; set; } = 16;

    /// <summary>Wait when a 429 says nothing of when to come back (default 10 s, the API's burst interval).</summary>
    [Range(1, 3600, ErrorMessage = "Sync:Redelivery:DefaultRateLimitWaitSeconds must be between {1} and {2}.")]
    public int DefaultRateLimitWaitSeconds { get; set; } = 10;

    /// <summary>
    /// How many times a message is redelivered after failures of Sync's own infrastructure (a database deadlock, timeout
    /// or restart), 1 s doubling to the longest tier, before it is dead-lettered (default 30: several hours).
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Sync:Redelivery:MaxInfrastructureRedeliveries must be between {1} and {2}.")]
    public int MaxInfrastructureRedeliveries { get; set; } = 30;

    /// <summary>Wait between attempts while the API's circuit is open, when the circuit names no probe time (default 30 s).</summary>
    [Range(1, 3600, ErrorMessage = "Sync:Redelivery:CircuitWaitSeconds must be between {1} and {2}.")]
    public int CircuitWaitSeconds { get; set; } = 30;

    /// <summary>
    /// How long the work of a location awaiting re-authorisation is parked before it is dead-lettered as an
    /// authentication failure (default 3 days: time for an operator to reinstall).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00", ErrorMessage = "Sync:Redelivery:MaxSuspendedWait must be between {1} and {2}.")]
    public TimeSpan MaxSuspendedWait { get; set; } = TimeSpan.FromDays(3);

    /// <summary>The longest single wait of parked work (default 900 s); waits start at 30 s and double.</summary>
    [Range(1, 86_400, ErrorMessage = "Sync:Redelivery:MaxSuspendedDelaySeconds must be between {1} and {2}.")]
    public int MaxSuspendedDelaySeconds { get; set; } = 900;

    /// <summary>The wait-queue tiers in seconds (default 1, 2, 4 … 1024; empty means the default). Delays round up to the next tier.</summary>
    public List<int> DelayTierSeconds { get; set; } = [];

    /// <summary>Deliveries of one message a quorum work queue allows before it dead-letters it to the error queue (default 20):
    /// the backstop for a message that crashes its consumer process.</summary>
    [Range(2, 1000, ErrorMessage = "Sync:Redelivery:DeliveryLimit must be between {1} and {2}.")]
    public int DeliveryLimit { get; set; } = 20;

    /// <summary>The tier set.</summary>
    public DelayTiers Tiers => DelayTierSeconds.Count == 0
        ? new DelayTiers(DelayTiers.Default)
        : new DelayTiers(DelayTierSeconds.Select(s => TimeSpan.FromSeconds(s)));

    /// <summary>The transient backoff in effect.</summary>
    public IReadOnlyList<TimeSpan> TransientBackoff => TransientBackoffSeconds.Count == 0
        ? Core.FailureClassifier.TransientBackoff
        : [.. TransientBackoffSeconds.Select(s => TimeSpan.FromSeconds(s))];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TransientBackoffSeconds.Any(s => s < 1))
        {
            yield return new ValidationResult("Sync:Redelivery:TransientBackoffSeconds: every delay must be at least 1 second.");
        }

        if (DelayTierSeconds.Any(s => s < 1))
        {
            yield return new ValidationResult("Sync:Redelivery:DelayTierSeconds: every tier must be at least 1 second.");
        }
    }
}
