using System.ComponentModel.DataAnnotations;

namespace Sync.Messaging.DeadLetters;

/// <summary>The dead-letter collector and retention (<c>Sync:DeadLetters</c>).</summary>
public sealed class DeadLetterOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Sync:DeadLetters";

    /// <summary>Whether this worker runs the collector. Default true; any number of workers may run it.</summary>
    public bool CollectorEnabled { get; set; } = true;

    /// <summary>Unacknowledged messages the collector holds per queue. Default 50.</summary>
    [Range(1, 1000, ErrorMessage = "Sync:DeadLetters:Prefetch must be between 1 and 1000.")]
    public int Prefetch { get; set; } = 50;

    /// <summary>How long the collector waits before retrying after the broker or database failed. Default 5 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Retention: replayed and discarded dead letters whose last failure is older than this are purged by the
    /// collector. Default none (kept until <c>sync-admin dlq purge</c>). Dead letters still waiting for an operator
    /// are never purged automatically.
    /// </summary>
    public TimeSpan? Retention { get; set; }

    /// <summary>How often the collector purges when <see cref="Retention"/> is set. Default 1 h.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetryDelay <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Sync:DeadLetters:RetryDelay must be positive.", [nameof(RetryDelay)]);
        }

        if (Retention is { } retention && retention <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Sync:DeadLetters:Retention must be positive when set.", [nameof(Retention)]);
        }

        if (PurgeInterval <= TimeSpan.Zero)
        {
            yield return new ValidationResult("Sync:DeadLetters:PurgeInterval must be positive.", [nameof(PurgeInterval)]);
        }
    }
}
