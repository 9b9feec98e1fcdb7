using MassTransit;
using MassTransit.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// Decides, by the failure's kind, whether a failed message waits and comes back or goes to the error queue, and
/// moves it: a copy with the same message id, headers and body goes through the wait queue of the right tier back to
/// the queue it came from. Used by the consume filter for single messages and by batch consumers for each failed
/// element of a batch.
/// </summary>
public sealed partial class RedeliveryForwarder
{
    /// <summary>Header counting the delayed redeliveries of transient failures.</summary>
    public const string TransientRedeliveriesHeader = "Sync-Transient-Redeliveries";

    /// <summary>Header counting the waits for a missing prerequisite.</summary>
    public const string WaitDeferralsHeader = "Sync-Wait-Deferrals";

    /// <summary>Header counting the waits for a rate limit.</summary>
    public const string RateLimitDeferralsHeader = "Sync-RateLimit-Deferrals";

    /// <summary>Header counting the redeliveries after a failure of Sync's own infrastructure (database, sockets).</summary>
    public const string InfrastructureRedeliveriesHeader = "Sync-Infrastructure-Redeliveries";

    /// <summary>Header counting the waits for Sync's own budget (burst schedule or daily limit); never capped.</summary>
    public const string ThrottleWaitsHeader = "Sync-Throttle-Waits";

    /// <summary>Header counting the waits for an open circuit; never capped.</summary>
    public const string CircuitWaitsHeader = "Sync-Circuit-Waits";

    /// <summary>Header counting the waits of a location that awaits re-authorisation.</summary>
    public const string SuspendedWaitsHeader = "Sync-Suspended-Waits";

    /// <summary>Header with the time (ISO 8601) a message first waited for its location's re-authorisation.</summary>
    public const string SuspendedSinceHeader = "Sync-Suspended-Since";

    private readonly RedeliveryPolicyOptions _options;
    private readonly DelayTiers _tiers;
    private readonly TimeSpan[] _backoff;
    private readonly ILogger<RedeliveryForwarder> _logger;
    private readonly ErrorQueueDeclarer _errorQueues;
    private readonly IOptions<HoopAi.HoopAiOptions> _api;

    /// <summary>Immediate retries of a transient failure before it is deferred.</summary>
    public int ImmediateRetries => _options.ImmediateRetries;

    /// <summary>Creates the forwarder.</summary>
    public RedeliveryForwarder(
        IOptions<RedeliveryPolicyOptions> options, IOptions<HoopAi.HoopAiOptions> api, ErrorQueueDeclarer errorQueues, ILogger<RedeliveryForwarder> logger)
    {
        ArgumentNullException.ThrowIfNull(api);
        _api = api;
        _errorQueues = errorQueues;
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _tiers = _options.Tiers;
        _backoff = [.. _options.TransientBackoff];
        _logger = logger;
    }

    /// <summary>
    /// Sends the message back for a later attempt when its failure allows one; returns false when it should be
    /// dead-lettered instead (permanent or authentication failures, or retries used up). A message whose failure
    /// reserved it an API slot waits for that slot, unless <paramref name="canHoldSlot"/> is false (an element of a batch:
    /// the batch that brings it back cannot hold one message's slot); then it waits as long, and reserves afresh.
    /// </summary>
    public async Task<bool> TryDeferAsync<T>(ConsumeContext<T> context, Exception exception, bool canHoldSlot = true)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(exception);
        var kind = FailureClassifier.Classify(exception);
        switch (kind)
        {
            case FailureKind.Transient:
            {
                var done = Count(context, TransientRedeliveriesHeader);
                if (done >= _backoff.Length)
                {
                    LogRetriesExhausted(context.MessageId, typeof(T).Name, done);
                    return false;
                }

                await ForwardAsync(context, _backoff[done], TransientRedeliveriesHeader, done + 1);
                LogDeferred(context.MessageId, typeof(T).Name, kind, _backoff[done], done + 1);
                return true;
            }

            case FailureKind.RateLimited:
            {
                var done = Count(context, RateLimitDeferralsHeader);
                if (done >= _options.MaxRateLimitDeferrals)
                {
                    LogRetriesExhausted(context.MessageId, typeof(T).Name, done);
                    return false;
                }

                var wait = FailureClassifier.RetryAfter(exception) ?? TimeSpan.FromSeconds(_options.DefaultRateLimitWaitSeconds);
                await ForwardAsync(context, wait, RateLimitDeferralsHeader, done + 1);
                LogDeferred(context.MessageId, typeof(T).Name, kind, _tiers.RoundUp(wait), done + 1);
                return true;
            }

            case FailureKind.Waiting:
            {
                var done = Count(context, WaitDeferralsHeader);
                if (done >= _options.MaxWaitDeferrals)
                {
                    LogRetriesExhausted(context.MessageId, typeof(T).Name, done);
                    return false;
                }

                // 2, 4, 8 … seconds up to the cap: what it waits for usually arrives soon, and is seen soon after.
                var wait = _tiers.RoundUp(TimeSpan.FromSeconds(Math.Min(1 << Math.Min(done + 1, 20), _options.MaxWaitDelaySeconds)));
                await ForwardAsync(context, wait, WaitDeferralsHeader, done + 1);
                LogDeferred(context.MessageId, typeof(T).Name, kind, wait, done + 1);
                return true;
            }

            case FailureKind.Infrastructure:
            {
                // The database or a socket failed: 1 s doubling up to the longest tier, for hours, not seconds.
                var done = Count(context, InfrastructureRedeliveriesHeader);
                if (done >= _options.MaxInfrastructureRedeliveries)
                {
                    LogRetriesExhausted(context.MessageId, typeof(T).Name, done);
                    return false;
                }

                var wait = _tiers.RoundUp(TimeSpan.FromSeconds(1L << Math.Min(done, 20)));
                await ForwardAsync(context, wait, InfrastructureRedeliveriesHeader, done + 1);
                LogDeferred(context.MessageId, typeof(T).Name, kind, wait, done + 1);
                return true;
            }

            case FailureKind.Throttled when canHoldSlot && Find<SyncFailureException>(exception)?.ReservedSlot is { } slot:
            {
                // A slot is reserved for it: it waits for that slot in the tiers, hop by hop, and then uses it.
                var done = Count(context, ThrottleWaitsHeader);
                var hop = await ForwardTowardsAsync(context, slot, done + 1, _api.Value.RateLimitMaxWait);
                LogDeferred(context.MessageId, typeof(T).Name, kind, hop, done + 1);
                return true;
            }

            case FailureKind.Throttled:
            {
                // Sync's own budget: not the API's refusal, so nothing is used up; a daily limit waits for its reset.
                var done = Count(context, ThrottleWaitsHeader);
                var wait = FailureClassifier.RetryAfter(exception) ?? TimeSpan.FromSeconds(_options.DefaultRateLimitWaitSeconds);
                await ForwardAsync(context, wait, ThrottleWaitsHeader, done + 1);
                LogDeferred(context.MessageId, typeof(T).Name, kind, _tiers.RoundUp(wait), done + 1);
                return true;
            }

            case FailureKind.CircuitOpen:
            {
                var done = Count(context, CircuitWaitsHeader);
                var wait = FailureClassifier.RetryAfter(exception) ?? TimeSpan.FromSeconds(_options.CircuitWaitSeconds);
                await ForwardAsync(context, wait, CircuitWaitsHeader, done + 1);
                LogDeferred(context.MessageId, typeof(T).Name, kind, _tiers.RoundUp(wait), done + 1);
                return true;
            }

            case FailureKind.Suspended:
            {
                var now = DateTimeOffset.UtcNow;
                var since = SuspendedSince(context) ?? now;
                if (now - since >= _options.MaxSuspendedWait)
                {
                    LogSuspensionExpired(context.MessageId, typeof(T).Name, now - since);
                    return false;
                }

                var done = Count(context, SuspendedWaitsHeader);
                var wait = _tiers.RoundUp(TimeSpan.FromSeconds(Math.Min(30L << Math.Min(done, 16), _options.MaxSuspendedDelaySeconds)));
                await ForwardAsync(context, wait, SuspendedWaitsHeader, done + 1,
                    (SuspendedSinceHeader, since.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
                LogDeferred(context.MessageId, typeof(T).Name, kind, wait, done + 1);
                return true;
            }

            default:
                return false;
        }
    }

    /// <summary>
    /// The slot a message waits for (<see cref="SyncHeaders.ApiSlot"/>), or null. When it is still further away than
    /// <paramref name="nearEnough"/> and a wait tier brings it back at least a fifth of that before the slot
    /// (<see cref="DelayTiers.HopTowardsSlot"/>), the message is sent on through that tier and <c>Forwarded</c> is true:
    /// the delivery is done with. Otherwise the caller holds the slot while it runs
    /// the message (<c>ApiSlotScope</c>).
    /// </summary>
    public async Task<(ApiSlot? Slot, bool Forwarded)> WaitForSlotAsync<T>(ConsumeContext<T> context, TimeSpan nearEnough)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!ApiSlot.TryParse(context.Headers.Get<string>(SyncHeaders.ApiSlot), out var slot))
        {
            return (null, false);
        }

        if (_tiers.HopTowardsSlot(slot!.At - DateTimeOffset.UtcNow, nearEnough) is null)
        {
            return (slot, false);
        }

        var hop = await ForwardTowardsAsync(context, slot, Count(context, ThrottleWaitsHeader), nearEnough);
        LogWaitingForSlot(context.MessageId, slot.At, hop);
        return (slot, true);
    }

    /// <summary>
    /// Moves one message to its queue's error queue with MassTransit's fault headers and Sync's (why, the last HTTP
    /// status and API answer, the location), mandatory and confirmed: when no queue takes it, this throws and the
    /// message must stay where it is. Used by the consume filter and for a failed element of a batch.
    /// </summary>
    public async Task DeadLetterAsync<T>(ConsumeContext<T> context, Exception exception)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(exception);
        var queue = QueueOf(context);
        var kind = FailureClassifier.Classify(exception);
        var failure = Find<SyncFailureException>(exception);
        await _errorQueues.EnsureAsync(queue, context.CancellationToken);
        var endpoint = await context.GetSendEndpoint(new Uri($"exchange:{queue}_error?type=fanout"));
        var pipe = Pipe.Execute<SendContext<T>>(send =>
        {
            MakeMandatory(send);
            send.Headers.Set(MessageHeaders.Reason, "fault");
            send.Headers.Set(MessageHeaders.FaultExceptionType, exception.GetType().FullName);
            send.Headers.Set(MessageHeaders.FaultMessage, exception.Message);
            send.Headers.Set(MessageHeaders.FaultStackTrace, exception.StackTrace);
            send.Headers.Set(MessageHeaders.FaultTimestamp, DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            send.Headers.Set(MessageHeaders.FaultInputAddress, context.ReceiveContext.InputAddress?.ToString());
            send.Headers.Set(MessageHeaders.FaultMessageType, typeof(T).FullName);
            send.Headers.Set(SyncHeaders.FailureKind, ReasonOf(kind));
            if (failure?.HttpStatus is { } status)
            {
                send.Headers.Set(SyncHeaders.HttpStatus, status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            if (failure?.ApiAnswer is { Length: > 0 } answer)
            {
                send.Headers.Set(SyncHeaders.ApiAnswer, answer.Length > 300 ? answer[..300] : answer);
            }

            if (LocationOf(context.Message) is { } location)
            {
                send.Headers.Set(SyncHeaders.LocationId, location);
            }
        });
        await endpoint.Send(context.Message, new ForwardMessagePipe<T>(context, pipe), context.CancellationToken);
        LogDeadLettered(context.MessageId, typeof(T).Name, kind, exception.Message);
        SyncTelemetry.DeadLetters.Add(1, new KeyValuePair<string, object?>("queue", queue), new KeyValuePair<string, object?>("classification", ReasonOf(kind)));
    }

    /// <summary>What a dead letter's <see cref="SyncHeaders.FailureKind"/> says of a failure of this kind.</summary>
    public static string ReasonOf(FailureKind kind) => kind switch
    {
        FailureKind.Permanent => "permanent",
        FailureKind.Authentication or FailureKind.Suspended => "authentication",
        FailureKind.Transient or FailureKind.Infrastructure => "retries-exhausted",
        FailureKind.RateLimited => "rate-limited",
        FailureKind.Waiting => "waiting-expired",
        _ => "unexpected",
    };

    private static string? LocationOf(object message) => message switch
    {
        Contracts.WebhookReceived webhook => webhook.LocationId,
        Contracts.ChangeContactTags tags => tags.LocationId,
        _ => null,
    };

    private static TException? Find<TException>(Exception exception)
        where TException : Exception
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is TException found)
            {
                return found;
            }
        }

        return null;
    }

    // Unroutable means lost: with publisher confirms on, a returned message fails the send instead.
    private static void MakeMandatory(SendContext send)
    {
        if (send is RabbitMqSendContext rabbit)
        {
            rabbit.Mandatory = true;
        }
        else if (send.TryGetPayload(out RabbitMqSendContext? payload))
        {
            payload.Mandatory = true;
        }
    }

    // Through the tier that brings it back a little before the slot (DelayTiers.HopTowardsSlot), else the longest that
    // does not overshoot it (the shortest when none fits), carrying the slot along.
    private async Task<TimeSpan> ForwardTowardsAsync<T>(ConsumeContext<T> context, ApiSlot slot, int count, TimeSpan nearEnough)
        where T : class
    {
        var left = slot.At - DateTimeOffset.UtcNow;
        var hop = _tiers.HopTowardsSlot(left, nearEnough) ?? _tiers.RoundDown(left) ?? _tiers.Delays[0];
        await ForwardAsync(context, hop, ThrottleWaitsHeader, count, exactTier: true, SlotReturnQueue(QueueOf(context)),
            (SyncHeaders.ApiSlot, slot.Format()));
        return hop;
    }

    /// <summary>
    /// The queue a message holding an API slot comes back to from the tiers: its own, except that the backlog lane's come
    /// back to the work queue. A message that holds a slot comes back at its location's API pace, so it stays within the
    /// work queue's share (what a location may send within its budget); in the backlog lane it would land behind the
    /// unreserved rest of a flood and reach its slot too late.
    /// </summary>
    public static string SlotReturnQueue(string queue) =>
        string.Equals(queue, Lanes.WebhookLanes.BacklogQueue, StringComparison.Ordinal) ? Lanes.WebhookLanes.WorkQueue : queue;

    private Task ForwardAsync<T>(ConsumeContext<T> context, TimeSpan delay, string header, int count, params (string Name, string Value)[] more)
        where T : class =>
        ForwardAsync(context, delay, header, count, exactTier: false, QueueOf(context), more);

    private async Task ForwardAsync<T>(
        ConsumeContext<T> context, TimeSpan delay, string header, int count, bool exactTier, string queue, params (string Name, string Value)[] more)
        where T : class
    {
        var tier = DelayTiers.NameOf(exactTier ? delay : _tiers.RoundUp(delay));
        var endpoint = await context.GetSendEndpoint(new Uri($"exchange:{tier}?type=fanout"));
        var epoch = EpochOf(context);
        var pipe = Pipe.Execute<SendContext<T>>(send =>
        {
            MakeMandatory(send);
            send.SetRoutingKey(queue);
            send.Headers.Set(SyncHeaders.ScheduleEpoch, epoch);
            send.Headers.Set(header, count);

            // A slot is for this wait only: any other deferral drops it (the message reserves afresh when it is back).
            if (!more.Any(m => m.Name == SyncHeaders.ApiSlot))
            {
                send.Headers.Set(SyncHeaders.ApiSlot, null);
            }

            foreach (var (name, value) in more)
            {
                send.Headers.Set(name, value);
            }
        });
        await endpoint.Send(context.Message, new ForwardMessagePipe<T>(context, pipe), context.CancellationToken);
    }

    // A counter counts only under the dead-lettering it was counted after: a message dead-lettered since then (replayed,
    // or shovelled back from its error queue) starts a fresh schedule.
    /// <summary>How many delayed redeliveries for transient failures this delivery has had (0 on its first schedule).</summary>
    public static int TransientRedeliveriesOf(ConsumeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Count(context, TransientRedeliveriesHeader);
    }

    private static int Count(ConsumeContext context, string header) =>
        context.Headers.Get<string>(SyncHeaders.ScheduleEpoch) is { } epoch && epoch != EpochOf(context)
            ? 0
            : context.Headers.Get<int>(header) ?? 0;

    private static string EpochOf(ConsumeContext context) =>
        context.Headers.Get<string>(MessageHeaders.FaultTimestamp) is { Length: > 0 } faulted ? faulted : "-";

    private static DateTimeOffset? SuspendedSince(ConsumeContext context) =>
        Count(context, SuspendedWaitsHeader) > 0 &&
        context.Headers.Get<string>(SuspendedSinceHeader) is { } text &&
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var since)
            ? since
            : null;

    private static string QueueOf(ConsumeContext context)
    {
        var input = context.ReceiveContext.InputAddress
                    ?? throw new InvalidOperationException("The message has no input address to come back to.");
        return input.AbsolutePath.TrimEnd('/').Split('/')[^1];
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Message {MessageId} ({MessageType}) failed ({Kind}); back in {Delay} (attempt {Attempt})")]
    private partial void LogDeferred(Guid? messageId, string messageType, FailureKind kind, TimeSpan delay, int attempt);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug,
        Message = "Message {MessageId} waits for its API slot at {Slot:O}: on through the {Tier} tier")]
    private partial void LogWaitingForSlot(Guid? messageId, DateTimeOffset slot, TimeSpan tier);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning,
        Message = "Message {MessageId} ({MessageType}) used up its {Attempts} delayed redeliveries")]
    private partial void LogRetriesExhausted(Guid? messageId, string messageType, int attempts);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning,
        Message = "Message {MessageId} ({MessageType}) waited {Waited} for its location's re-authorisation; dead-lettered")]
    private partial void LogSuspensionExpired(Guid? messageId, string messageType, TimeSpan waited);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning,
        Message = "Message {MessageId} ({MessageType}) dead-lettered ({Kind}): {Reason}")]
    private partial void LogDeadLettered(Guid? messageId, string messageType, FailureKind kind, string reason);
}
