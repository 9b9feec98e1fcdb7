namespace Sync.Messaging;

/// <summary>
/// The headers Sync adds to the messages it moves: redelivery bookkeeping, and on a dead letter what an operator needs
/// to know of its failure (MassTransit's <c>MT-Fault-*</c> headers say the exception).
/// </summary>
public static class SyncHeaders
{
    /// <summary>Why the message was dead-lettered: <c>permanent</c>, <c>authentication</c>, <c>retries-exhausted</c>,
    /// <c>rate-limited</c>, <c>waiting-expired</c> or <c>unexpected</c>.</summary>
    public const string FailureKind = "Sync-Failure-Kind";

    /// <summary>The HTTP status of the last API answer, when the failure came from one.</summary>
    public const string HttpStatus = "Sync-Http-Status";

    /// <summary>The API's answer, cut to 300 characters (it never holds a token), when the failure came from one.</summary>
    public const string ApiAnswer = "Sync-Api-Answer";

    /// <summary>The location the message belongs to.</summary>
    public const string LocationId = "Sync-Location-Id";

    /// <summary>
    /// The <c>MT-Fault-Timestamp</c> the redelivery counters were counted under (<c>-</c> for none): a message that was
    /// dead-lettered since (and so carries a newer fault timestamp) starts a fresh schedule, however it came back.
    /// </summary>
    public const string ScheduleEpoch = "Sync-Schedule-Epoch";

    /// <summary>On a replayed message: the id of the dead letter it was replayed from.</summary>
    public const string ReplayOf = "Sync-Replay-Of";

    /// <summary>
    /// On a message waiting for its location's API slot: the slot (<c>&lt;location&gt; &lt;time&gt;</c>, see
    /// <see cref="Core.ApiSlot"/>) reserved for it. It goes from wait tier to wait tier, each no longer than what is left,
    /// and is consumed once the slot is near.
    /// </summary>
    public const string ApiSlot = "Sync-Api-Slot";

    /// <summary>The prefix of every header Sync sets.</summary>
    public const string Prefix = "Sync-";
}
