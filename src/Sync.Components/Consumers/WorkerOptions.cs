using System.ComponentModel.DataAnnotations;

namespace Sync.Components.Consumers;

/// <summary>How the worker consumes (<c>Sync:Worker</c>). Scale out by adding worker processes; these tune one process.</summary>
public sealed class WorkerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Worker";

    /// <summary>
    /// Webhook events processed at once by one process (default 16). Upserts in flight share units of work
    /// (<see cref="UpsertBatchSize"/>), so more of them at once means larger batches, not a connection each.
    /// </summary>
    [Range(1, 512, ErrorMessage = "Sync:Worker:WebhookConcurrency must be between {1} and {2}.")]
    public int WebhookConcurrency { get; set; } = 16;

    /// <summary>Webhook events the broker sends ahead of acknowledgement (default 32).</summary>
    [Range(1, 10_000, ErrorMessage = "Sync:Worker:WebhookPrefetch must be between {1} and {2}.")]
    public int WebhookPrefetch { get; set; } = 32;

    /// <summary>
    /// Backlog-lane events processed at once by one process (default 32): what locations send beyond their budget
    /// (<c>Sync:Lanes</c>) and imports, on consumers of their own so they never hold the work queue's. A backlog is
    /// where throughput counts, and its upserts in flight share units of work: at 8 they made batches of 1.5 on average
    /// and the benchmark's P3 measured 0.32–0.37 of bare MassTransit, at 32 batches of 3.7–3.8 and 0.62–0.69.
    /// </summary>
    [Range(1, 512, ErrorMessage = "Sync:Worker:BacklogConcurrency must be between {1} and {2}.")]
    public int BacklogConcurrency { get; set; } = 32;

    /// <summary>Backlog-lane events the broker sends ahead of acknowledgement (default 64).</summary>
    [Range(1, 10_000, ErrorMessage = "Sync:Worker:BacklogPrefetch must be between {1} and {2}.")]
    public int BacklogPrefetch { get; set; } = 64;

    /// <summary>
    /// Most contact upserts in one unit of work (default 32; 1 gives each its own). The upserts a process applies at
    /// once are marked and guarded in one round trip and committed in one more; one whose API call fails is taken back
    /// alone and retried.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Sync:Worker:UpsertBatchSize must be between {1} and {2}.")]
    public int UpsertBatchSize { get; set; } = 32;

    /// <summary>
    /// Batches of upserts whose first round trip (inbox marks and guards) may run at once (default 2): while one runs,
    /// the upserts that arrive gather into the next. With <see cref="UpsertBatchSize"/> 1 this is how many upserts
    /// reach the database at once: raise it with the consumers' concurrency.
    /// </summary>
    [Range(1, 64, ErrorMessage = "Sync:Worker:UpsertBatchConcurrency must be between {1} and {2}.")]
    public int UpsertBatchConcurrency { get; set; } = 2;

    /// <summary>Most contacts in one bulk tag call (default 100). The API's own maximum is undocumented; keep this at or below it.</summary>
    [Range(1, 1000, ErrorMessage = "Sync:Worker:BulkMaxContacts must be between {1} and {2}.")]
    public int BulkMaxContacts { get; set; } = 100;

    /// <summary>Most tag commands collected into one batch (default 100).</summary>
    [Range(1, 10_000, ErrorMessage = "Sync:Worker:TagBatchMessageLimit must be between {1} and {2}.")]
    public int TagBatchMessageLimit { get; set; } = 100;

    /// <summary>
    /// A batch is processed when it is full, or when no further command for its location arrived for this long
    /// (default 2 s): while commands keep coming the batch keeps filling, so bulk calls carry many contacts. Under a
    /// backlog a location's commands can pause for about a second (its events move from the work queue to the backlog
    /// lane); with 1 s such a pause closed batches three quarters full. A lone tag change waits this long before its call.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ErrorMessage = "Sync:Worker:TagBatchTimeLimit must be between {1} and {2}.")]
    public TimeSpan TagBatchTimeLimit { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Batches processed at once by one process (default 2).</summary>
    [Range(1, 64, ErrorMessage = "Sync:Worker:TagBatchConcurrency must be between {1} and {2}.")]
    public int TagBatchConcurrency { get; set; } = 2;

    /// <summary>
    /// Tag commands held at once, in the batches being filled and those being processed (default 1,000; never fewer
    /// than enough to fill every concurrent batch and one more). Batches are per location, and every open batch holds
    /// its commands here: with too small a window, a few busy locations' batches fill it part full, nothing more is
    /// delivered, and each closes on its time limit instead of full.
    /// </summary>
    [Range(1, 100_000, ErrorMessage = "Sync:Worker:TagBatchPrefetch must be between {1} and {2}.")]
    public int TagBatchPrefetch { get; set; } = 1_000;
}
