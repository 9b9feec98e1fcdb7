using MassTransit;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.HoopAi;
using Sync.HoopAi.Api;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// Outermost consume filter of a work queue: a transient or infrastructure failure is first retried at once (as
/// configured); a failure that may pass (transient, rate limited, waiting, an open circuit…) is then sent back through a
/// wait queue; any other failure, or one whose schedule is used up, is moved to the error queue with its reasons. Either
/// way the move is confirmed before the delivery is acknowledged; a move that fails leaves the message in its queue
/// (<see cref="RedeliveryFailedException"/>). Batches are left to their consumer, which settles each element on its own.
/// A message waiting for a reserved API slot (<see cref="SyncHeaders.ApiSlot"/>) goes on through the wait tiers until
/// the slot is near, and then runs holding it (<see cref="ApiSlotScope"/>).
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class ClassifiedRedeliveryFilter<T>(RedeliveryForwarder forwarder, IOptions<HoopAiOptions> api) : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly bool IsBatch = typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(Batch<>);

    /// <inheritdoc />
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (IsBatch)
        {
            await next.Send(context);
            return;
        }

        var (slot, forwarded) = await forwarder.WaitForSlotAsync(context, api.Value.RateLimitMaxWait);
        if (forwarded)
        {
            // Done with this delivery: without the notice MassTransit would count it as consumed by no one and move a
            // copy to the queue's _skipped queue besides the one on its way through the tiers.
            await context.NotifyConsumed(context, TimeSpan.Zero, "sync-api-slot-wait");
            return;
        }

        using var held = slot is null ? null : ApiSlotScope.Hold(slot);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await next.Send(context);
                return;
            }
            catch (Exception ex) when (!IsBatch && !(ex is OperationCanceledException && context.CancellationToken.IsCancellationRequested))
            {
                var kind = FailureClassifier.Classify(ex);
                if (attempt < forwarder.ImmediateRetries && kind is FailureKind.Transient or FailureKind.Infrastructure)
                {
                    continue;
                }

                await SettleAsync(context, ex);
                return;
            }
        }
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context?.CreateFilterScope("syncClassifiedRedelivery");

    private async Task SettleAsync(ConsumeContext<T> context, Exception failure)
    {
        try
        {
            if (!await forwarder.TryDeferAsync(context, failure))
            {
                await forwarder.DeadLetterAsync(context, failure);
            }
        }
        catch (Exception move) when (!(move is OperationCanceledException && context.CancellationToken.IsCancellationRequested))
        {
            throw new RedeliveryFailedException(
                $"Message {context.MessageId} failed ({failure.Message}) and could not be moved ({move.Message}); it stays in its queue.",
                new AggregateException(move, failure));
        }
    }
}
