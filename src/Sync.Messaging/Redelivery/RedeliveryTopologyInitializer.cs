using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// Declares, before the bus starts, what MassTransit does not: the delay tiers' wait queues, the poison queue, the
/// work queues bound to their messages' exchanges, and each work queue's error queue. The work queues make a publish
/// durable from the first message on (an exchange with no queue bound drops what it receives, so an ingress that
/// started before any worker ever ran would otherwise lose its first events); the error queues make the first dead
/// letter durable (MassTransit declares an error queue only when it first moves a message there itself). Registered
/// ahead of the bus's hosted service.
/// </summary>
public sealed partial class RedeliveryTopologyInitializer(
    IOptions<RabbitMqOptions> rabbit,
    IOptions<RedeliveryPolicyOptions> policy,
    ErrorQueueDeclarer errorQueues,
    ILogger<RedeliveryTopologyInitializer> logger) : IHostedService
{
    /// <summary>A connection factory for the configured broker.</summary>
    public static ConnectionFactory ConnectionFactoryFor(RabbitMqOptions options, string clientName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Resolve();
        return new ConnectionFactory
        {
            HostName = settings.Host,
            Port = settings.Port,
            VirtualHost = settings.VirtualHost,
            UserName = settings.Username,
            Password = settings.Password,
            ClientProvidedName = clientName,
            Ssl = { Enabled = settings.UseTls, ServerName = settings.Host },
        };
    }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var factory = ConnectionFactoryFor(rabbit.Value, "sync-topology");

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                await DeclareAsync(channel, policy.Value, cancellationToken);
                foreach (var (queue, _) in WorkQueues)
                {
                    errorQueues.Declared(queue);
                }

                LogDeclared(policy.Value.Tiers.Delays.Count);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < 30)
            {
                // The broker may still be starting; the bus would wait for it too.
                LogBrokerNotReady(attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), cancellationToken);
            }
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The work queues and the exchanges they are bound to (MassTransit's names): a message type's exchange, or for the
    /// backlog lane (which is sent to, never published to) the lane's own exchange.
    /// </summary>
    public static IReadOnlyList<(string Queue, string Exchange)> WorkQueues { get; } =
    [
        ("webhook-received", "Sync.Contracts:WebhookReceived"),
        (Lanes.WebhookLanes.BacklogQueue, Lanes.WebhookLanes.BacklogQueue),
        ("change-contact-tags", "Sync.Contracts:ChangeContactTags"),
    ];

    /// <summary>The error queue (and its fanout exchange) of a work queue, as MassTransit names it.</summary>
    public static string ErrorQueueOf(string queue) => queue + "_error";

    /// <summary>
    /// Declares the wait queues of the policy's tiers, the poison queue, the work queues and their error queues on an
    /// open channel.
    /// </summary>
    public static async Task DeclareAsync(IChannel channel, RedeliveryPolicyOptions policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(policy);
        await DelayTopology.DeclareAsync(channel, policy.Tiers, cancellationToken);
        await channel.ExchangeDeclareAsync(WorkQueuePolicy.PoisonQueue, ExchangeType.Fanout, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(WorkQueuePolicy.PoisonQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(WorkQueuePolicy.PoisonQueue, WorkQueuePolicy.PoisonQueue, "", cancellationToken: cancellationToken);

        // Exactly the arguments the worker's endpoints declare (WorkQueuePolicy), or the broker refuses the redeclaration.
        var arguments = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        foreach (var (key, value) in WorkQueuePolicy.QueueArguments(policy))
        {
            arguments[key] = value;
        }

        foreach (var (queue, exchange) in WorkQueues)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments,
                cancellationToken: cancellationToken);
            await channel.QueueBindAsync(queue, exchange, "", cancellationToken: cancellationToken);
            await DeclareErrorQueueAsync(channel, queue, policy, cancellationToken);
        }
    }

    /// <summary>
    /// Declares the error queue of <paramref name="queue"/> bound to its fanout exchange, with the arguments MassTransit
    /// gives it when it moves a message there (it copies the work queue's), so either declaration accepts the other.
    /// </summary>
    public static async Task DeclareErrorQueueAsync(IChannel channel, string queue, RedeliveryPolicyOptions policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(policy);
        var arguments = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        foreach (var (key, value) in WorkQueuePolicy.QueueArguments(policy))
        {
            arguments[key] = value;
        }

        var error = ErrorQueueOf(queue);
        await channel.ExchangeDeclareAsync(error, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(error, durable: true, exclusive: false, autoDelete: false, arguments: arguments,
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(error, error, "", cancellationToken: cancellationToken);
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Declared {Tiers} delay tiers, the poison queue, the work queues and their error queues")]
    private partial void LogDeclared(int tiers);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Broker not ready for topology (attempt {Attempt}): {Reason}")]
    private partial void LogBrokerNotReady(int attempt, string reason);
}
