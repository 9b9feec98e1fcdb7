using MassTransit;
using Microsoft.Extensions.Options;

namespace Sync.Messaging.Internal;

/// <summary>
/// Publishes through MassTransit's send pipeline: the fallback of <see cref="BrokerPublisher"/> for sends to a queue.
/// MassTransit's RabbitMQ transport awaits the publisher confirm of every publish; what it does not do is give up while
/// the broker is unreachable (it waits for a connection). The linked token bounds the wait, and <c>WaitAsync</c> bounds
/// it again in case any part of the pipeline ignores the token.
/// </summary>
internal sealed class ConfirmedPublisher(IBus bus, IOptions<RabbitMqOptions> options) : IConfirmedPublisher
{
    public const string PublishDestination = "publish";

    /// <summary>A destination starting with this is an exchange address, sent to as it is.</summary>
    public const string ExchangePrefix = "exchange:";

    public Task PublishAsync<T>(T message, Guid messageId, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        return BoundAsync(
            token => bus.Publish(message, context => Prepare(context, messageId, null), token),
            cancellationToken);
    }

    public Task PublishAsync(
        object message,
        Type messageType,
        string destination,
        Guid messageId,
        IReadOnlyDictionary<string, string> headers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(messageType);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);

        if (string.Equals(destination, PublishDestination, StringComparison.OrdinalIgnoreCase))
        {
            return BoundAsync(
                token => bus.Publish(message, messageType, context => Prepare(context, messageId, headers), token),
                cancellationToken);
        }

        return BoundAsync(
            async token =>
            {
                // "exchange:<name>?type=fanout" sends to an exchange without declaring a queue (a work queue's own
                // exchange reaches only that queue, whose quorum arguments a `queue:` send would redeclare and clash with).
                var address = destination.StartsWith(ExchangePrefix, StringComparison.OrdinalIgnoreCase)
                    ? new Uri(destination)
                    : new Uri("queue:" + destination);
                var endpoint = await bus.GetSendEndpoint(address);
                await endpoint.Send(message, messageType, context => Prepare(context, messageId, headers), token);
            },
            cancellationToken);
    }

    public Task PublishSerializedAsync(
        Type messageType,
        string body,
        string destination,
        Guid messageId,
        IReadOnlyDictionary<string, string> headers,
        CancellationToken cancellationToken) =>
        PublishAsync(Outbox.OutboxSerializer.Deserialize(body, messageType), messageType, destination, messageId, headers, cancellationToken);

    private static void Prepare(SendContext context, Guid messageId, IReadOnlyDictionary<string, string>? headers)
    {
        context.MessageId = messageId;
        context.Durable = true;
        if (context is PublishContext publish)
        {
            publish.Mandatory = true;
        }

        if (context is RabbitMqSendContext rabbit)
        {
            rabbit.Mandatory = true;
        }

        if (headers is not null)
        {
            foreach (var (key, value) in headers)
            {
                context.Headers.Set(key, value);
            }
        }
    }

    private async Task BoundAsync(Func<CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        var timeout = options.Value.PublishTimeout;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(timeout);
        var task = publish(bound.Token);
        try
        {
            await task.WaitAsync(timeout, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            task.ObserveFault(); // it may still fail after we stopped waiting
            throw new PublishFailedException($"The broker did not confirm the message within {timeout.TotalMilliseconds:F0} ms.", ex)
            {
                TimedOut = true,
            };
        }
        catch (Exception ex)
        {
            throw new PublishFailedException($"The broker did not take the message: {ex.GetType().Name}.", ex);
        }
    }
}

/// <summary>Helpers for tasks a caller stopped waiting for.</summary>
internal static class AbandonedTask
{
    /// <summary>Reads the exception of <paramref name="task"/> if it faults later, so it is never reported as unobserved.</summary>
    public static void ObserveFault(this Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
