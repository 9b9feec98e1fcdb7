using MassTransit;
using Sync.Core;

namespace Sync.Messaging.Observability;

/// <summary>
/// Records a message's whole stay in the receive pipe (from the broker's delivery until the pipe is done with it,
/// consumer included) as the stage <c>pipeline</c> of its queue in <see cref="SyncTelemetry.StageDuration"/>, so the
/// consumers' own stages can be set against it.
/// </summary>
public sealed class StageReceiveObserver : IReceiveObserver
{
    /// <inheritdoc />
    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    /// <inheritdoc />
    public Task PostReceive(ReceiveContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        SyncTelemetry.RecordStage(QueueOf(context), "pipeline", context.ElapsedTime);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType)
        where T : class => Task.CompletedTask;

    /// <inheritdoc />
    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception)
        where T : class => Task.CompletedTask;

    /// <inheritdoc />
    public Task ReceiveFault(ReceiveContext context, Exception exception) => Task.CompletedTask;

    private static string QueueOf(ReceiveContext context) =>
        context.InputAddress is { } address ? address.AbsolutePath.TrimEnd('/').Split('/')[^1] : "unknown";
}
