using MassTransit;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// Outermost consume filter of a work queue: a transient failure is first retried at once (as configured); a failure
/// that may pass (transient, rate limited) is then sent back through a wait queue and the delivery acknowledged; any other failure is rethrown, so MassTransit moves the message to the
/// error queue with its fault headers. Batches are left to their consumer, which settles each element on its own.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
public sealed class ClassifiedRedeliveryFilter<T>(RedeliveryForwarder forwarder) : IFilter<ConsumeContext<T>>
    where T : class
{
    private static readonly bool IsBatch = typeof(T).IsGenericType && typeof(T).GetGenericTypeDefinition() == typeof(Batch<>);

    /// <inheritdoc />
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await next.Send(context);
                return;
            }
            catch (Exception ex) when (!IsBatch && !(ex is OperationCanceledException && context.CancellationToken.IsCancellationRequested))
            {
                if (attempt < forwarder.ImmediateRetries && Core.FailureClassifier.Classify(ex) == Core.FailureKind.Transient)
                {
                    continue;
                }

                if (!await forwarder.TryDeferAsync(context, ex))
                {
                    throw;
                }

                return;
            }
        }
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context?.CreateFilterScope("syncClassifiedRedelivery");
}
