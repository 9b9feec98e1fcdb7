using System.ComponentModel.DataAnnotations;

namespace Sync.Messaging.Outbox;

/// <summary>The database outbox and its relay. Bound from the <c>Sync:Outbox</c> section.</summary>
public sealed class OutboxOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Outbox";

    /// <summary>Run the relay in this process (default true). Any number of processes may run one.</summary>
    public bool RelayEnabled { get; set; } = true;

    /// <summary>Most rows one lane of the relay claims and publishes at a time (default 200).</summary>
    [Range(1, 10_000, ErrorMessage = "Sync:Outbox:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// How many batches one relay has under way at once (default 8), each in a lane of its own holding one database
    /// connection while its batch publishes: while one batch waits for its confirms the others are claimed and
    /// published, so a backlog drains back to back with up to <c>RelayConcurrency × BatchSize</c> publishes awaiting
    /// their confirms. Lanes beyond the first join in only while full batches are found, so an idle relay polls once per
    /// <see cref="PollInterval"/>.
    /// </summary>
    [Range(1, 64, ErrorMessage = "Sync:Outbox:RelayConcurrency must be between {1} and {2}.")]
    public int RelayConcurrency { get; set; } = 8;

    /// <summary>How long an idle relay waits before looking for due rows again (default 1 second).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Sync:Outbox:PollInterval must be between {1} and {2}.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a claim may stay idle before the database ends it (default 30 seconds). A claim is a row lock held by
    /// the relay's transaction while it publishes the batch: a relay that dies gives its rows up at once (its connection
    /// ends), and on PostgreSQL one that hangs for longer than this has its session ended by the server, so another
    /// relay publishes the rows. Must be at least twice <c>Sync:RabbitMq:PublishTimeout</c> (checked at start-up).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Sync:Outbox:Lease must be between {1} and {2}.")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first wait before a row whose publish failed is tried again (default 1 second); it doubles per attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Sync:Outbox:RetryBaseDelay must be between {1} and {2}.")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two attempts at a row (default 1 minute).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = "Sync:Outbox:RetryMaxDelay must be between {1} and {2}.")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long writing one row to the outbox may take before the write counts as failed (default 2 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00", ErrorMessage = "Sync:Outbox:EnqueueTimeout must be between {1} and {2}.")]
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Most spilled webhooks written to the outbox in one transaction (default 256). While the broker is down every
    /// webhook goes to the outbox; the ones that arrive together are written together (a group commit), one statement
    /// and one commit for all of them, instead of a transaction each.
    /// </summary>
    [Range(1, 5_000, ErrorMessage = "Sync:Outbox:SpillBatchSize must be between {1} and {2}.")]
    public int SpillBatchSize { get; set; } = 256;

    /// <summary>How many group commits of spilled webhooks may be under way at once (default 4).</summary>
    [Range(1, 64, ErrorMessage = "Sync:Outbox:SpillWriters must be between {1} and {2}.")]
    public int SpillWriters { get; set; } = 4;

    /// <summary>How long sent rows are kept before the relay purges them (default 1 day).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "Sync:Outbox:SentRetention must be between {1} and {2}.")]
    public TimeSpan SentRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the relay purges sent rows (default 10 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Sync:Outbox:PurgeInterval must be between {1} and {2}.")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetryMaxDelay < RetryBaseDelay)
        {
            yield return new ValidationResult(
                $"{SectionName}:RetryMaxDelay must not be shorter than {SectionName}:RetryBaseDelay.", [nameof(RetryMaxDelay)]);
        }
    }

    /// <summary>
    /// The wait after a failure, given how many failures came before it: <see cref="RetryBaseDelay"/> ×
    /// 2^<paramref name="earlierFailures"/>, capped at <see cref="RetryMaxDelay"/>.
    /// </summary>
    public TimeSpan RetryDelay(int earlierFailures)
    {
        var exponent = Math.Clamp(earlierFailures, 0, 30);
        var delay = RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exponent);
        return delay >= RetryMaxDelay.TotalMilliseconds ? RetryMaxDelay : TimeSpan.FromMilliseconds(delay);
    }
}
