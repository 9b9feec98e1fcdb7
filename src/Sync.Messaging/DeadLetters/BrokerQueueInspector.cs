using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Sync.Messaging.DeadLetters;

/// <summary>Reads queue depths and consumer counts from the broker (passive declarations: nothing is created).</summary>
public sealed class BrokerQueueInspector(IOptions<RabbitMqOptions> options)
{
    /// <summary>Each queue's depth and consumers; a queue that does not exist is reported as missing.</summary>
    /// <exception cref="BrokerUnavailableException">The broker cannot be reached.</exception>
    public async Task<IReadOnlyList<QueueDepth>> InspectAsync(IReadOnlyList<string> queues, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        try
        {
            await using var connection = await RabbitMqConnections.Factory(options.Value, "sync-admin-status", automaticRecovery: false)
                .CreateConnectionAsync(cancellationToken);
            var result = new List<QueueDepth>(queues.Count);
            var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                foreach (var queue in queues)
                {
                    try
                    {
                        var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
                        result.Add(new QueueDepth(queue, Exists: true, ok.MessageCount, ok.ConsumerCount));
                    }
                    catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
                    {
                        // A passive declaration of a missing queue closes the channel; open another for the rest.
                        result.Add(new QueueDepth(queue, Exists: false, 0, 0));
                        await channel.DisposeAsync();
                        channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                    }
                }
            }
            finally
            {
                await channel.DisposeAsync();
            }

            return result;
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException)
        {
            throw new BrokerUnavailableException($"RabbitMQ at {options.Value.Resolve()} is unreachable: {ex.GetBaseException().Message}", ex);
        }
    }
}

/// <summary>A queue's depth.</summary>
/// <param name="Queue">Its name.</param>
/// <param name="Exists">False when the broker has no such queue.</param>
/// <param name="Messages">Messages ready in it.</param>
/// <param name="Consumers">Consumers attached to it.</param>
public sealed record QueueDepth(string Queue, bool Exists, uint Messages, uint Consumers);

/// <summary>The broker could not be reached.</summary>
public sealed class BrokerUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Connection factories from <see cref="RabbitMqOptions"/>.</summary>
internal static class RabbitMqConnections
{
    /// <summary>
    /// Ends a connection of a process that is stopping, without waiting long or failing: a broker that is gone, or a
    /// network that holds every byte, must not hold up or fail the host's stop.
    /// </summary>
    public static async Task AbortQuietlyAsync(IConnection connection)
    {
        try
        {
            await connection.CloseAsync(Constants.ReplySuccess, "stopping", TimeSpan.FromSeconds(1), abort: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or IOException or AlreadyClosedException or OperationInterruptedException)
        {
            // Nothing left to close.
        }

        connection.Dispose();
    }

    public static ConnectionFactory Factory(RabbitMqOptions options, string name, bool automaticRecovery)
    {
        var settings = options.Resolve();
        return new ConnectionFactory
        {
            HostName = settings.Host,
            Port = settings.Port,
            VirtualHost = settings.VirtualHost,
            UserName = settings.Username,
            Password = settings.Password,
            ClientProvidedName = name,
            AutomaticRecoveryEnabled = automaticRecovery,
            TopologyRecoveryEnabled = automaticRecovery,
            RequestedConnectionTimeout = options.ConnectionTimeout,
            Ssl = { Enabled = settings.UseTls, ServerName = settings.Host },
        };
    }
}
