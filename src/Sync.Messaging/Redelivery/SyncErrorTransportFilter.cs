using MassTransit;
using MassTransit.Middleware;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// The error pipe of a work queue: a failure Sync could not move (<see cref="RedeliveryFailedException"/>) or a consume
/// cancelled by shutdown leaves the message in its queue (the transport returns it); anything else goes to the error
/// queue as MassTransit moves it (topology declared, mandatory, confirmed): if that move fails too, the message stays.
/// </summary>
public sealed class SyncErrorTransportFilter : IFilter<ExceptionReceiveContext>
{
    private readonly IFilter<ExceptionReceiveContext> _move = new ErrorTransportFilter();

    /// <inheritdoc />
    public async Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        var exception = context.Exception;
        var cancelled = exception is OperationCanceledException && context.CancellationToken.IsCancellationRequested;
        if (cancelled || IsRedeliveryFailure(exception))
        {
            if (!context.IsFaulted)
            {
                await context.NotifyFaulted(exception);
            }

            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
        }

        await _move.Send(context, next);
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context?.CreateFilterScope("syncErrorTransport");

    private static bool IsRedeliveryFailure(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is RedeliveryFailedException)
            {
                return true;
            }
        }

        return false;
    }
}
