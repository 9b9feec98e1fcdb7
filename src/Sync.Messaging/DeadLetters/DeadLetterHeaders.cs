namespace Sync.Messaging.DeadLetters;

/// <summary>
/// The header names the collector and replay read: Sync's own (<see cref="SyncHeaders"/>, written by the failure
/// path), MassTransit's fault headers and RabbitMQ's dead-lettering headers.
/// </summary>
public static class DeadLetterHeaders
{
    /// <summary>Sync's classification of the failure: <c>permanent</c>, <c>authentication</c>, <c>retries-exhausted</c>, <c>poison</c>, …</summary>
    public const string FailureKind = SyncHeaders.FailureKind;

    /// <summary>The last HTTP status the API answered.</summary>
    public const string HttpStatus = SyncHeaders.HttpStatus;

    /// <summary>The API's answer, cut to 300 characters, without tokens.</summary>
    public const string ApiAnswer = SyncHeaders.ApiAnswer;

    /// <summary>The location the message belongs to.</summary>
    public const string LocationId = SyncHeaders.LocationId;

    /// <summary>How many delayed redeliveries transient failures used.</summary>
    public const string TransientRedeliveries = Redelivery.RedeliveryForwarder.TransientRedeliveriesHeader;

    /// <summary>On a replayed message: the dead letter it replays.</summary>
    public const string ReplayOf = SyncHeaders.ReplayOf;

    /// <summary>Prefix of Sync's own headers.</summary>
    public const string SyncPrefix = SyncHeaders.Prefix;

    /// <summary>Prefix of MassTransit's headers (<c>MT-Fault-*</c>, <c>MT-Reason</c>, <c>MT-Host-*</c>, …).</summary>
    public const string MassTransitPrefix = "MT-";

    /// <summary>Prefix of RabbitMQ's headers (<c>x-death</c>, <c>x-first-death-*</c>, <c>x-delivery-count</c>, …).</summary>
    public const string RabbitMqPrefix = "x-";

    /// <summary>MassTransit: the exception's type.</summary>
    public const string FaultExceptionType = "MT-Fault-ExceptionType";

    /// <summary>MassTransit: the exception's message.</summary>
    public const string FaultMessage = "MT-Fault-Message";

    /// <summary>MassTransit: the stack trace.</summary>
    public const string FaultStackTrace = "MT-Fault-StackTrace";

    /// <summary>MassTransit: when it failed.</summary>
    public const string FaultTimestamp = "MT-Fault-Timestamp";

    /// <summary>MassTransit: the endpoint it failed on.</summary>
    public const string FaultInputAddress = "MT-Fault-InputAddress";

    /// <summary>MassTransit: the consumer that failed.</summary>
    public const string FaultConsumerType = "MT-Fault-ConsumerType";

    /// <summary>MassTransit: the message's type.</summary>
    public const string FaultMessageType = "MT-Fault-MessageType";

    /// <summary>MassTransit: why the message was moved (<c>fault</c>, <c>skip</c>).</summary>
    public const string Reason = "MT-Reason";

    /// <summary>MassTransit: how many times the message was redelivered.</summary>
    public const string RedeliveryCount = "MT-Redelivery-Count";

    /// <summary>RabbitMQ: the queue a dead-lettered message first died on.</summary>
    public const string FirstDeathQueue = "x-first-death-queue";

    /// <summary>RabbitMQ: why it first died (<c>delivery_limit</c>, <c>rejected</c>, <c>expired</c>).</summary>
    public const string FirstDeathReason = "x-first-death-reason";

    /// <summary>RabbitMQ: the dead-lettering history.</summary>
    public const string Death = "x-death";

    /// <summary>RabbitMQ (quorum queues): how many times the message was delivered.</summary>
    public const string DeliveryCount = "x-delivery-count";

    /// <summary>
    /// Whether a header is dropped from a replayed message so that it starts a fresh redelivery schedule: every
    /// <c>Sync-</c> header but the location, and every MassTransit and RabbitMQ header.
    /// </summary>
    public static bool IsStrippedOnReplay(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (string.Equals(name, LocationId, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return name.StartsWith(SyncPrefix, StringComparison.OrdinalIgnoreCase)
               || name.StartsWith(MassTransitPrefix, StringComparison.OrdinalIgnoreCase)
               || name.StartsWith(RabbitMqPrefix, StringComparison.OrdinalIgnoreCase)
               || string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase);
    }
}
