using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// Declares, before the bus starts, what MassTransit does not: the delay tiers' wait queues, the poison queue, and
/// the work queues bound to their messages' exchanges. The last makes a publish durable from the first message on:
/// an exchange with no queue bound drops what it receives, so an ingress that started before any worker ever ran
/// would otherwise lose its first events. Registered ahead of the bus's hosted service.
/// </summary>
public sealed partial class RedeliveryTopologyInitializer(
    IOptions<RabbitMqOptions> rabbit,
    IOptions<RedeliveryPolicyOptions> policy,
    ILogger<RedeliveryTopologyInitializer> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = rabbit.Value.Resolve();
        var factory = new ConnectionFactory
        {
            HostName = settings.Host,
            Port = settings.Port,
            VirtualHost = settings.VirtualHost,
            UserName = settings.Username,
            Password = settings.Password,
            ClientProvidedName = "sync-topology",
            Ssl = { Enabled = settings.UseTls, ServerName = settings.Host },
        };

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                await DeclareAsync(channel, policy.Value, cancellationToken);
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

    /// <summary>The work queues and the message exchanges they are bound to (MassTransit's names).</summary>
    public static IReadOnlyList<(string Queue, string Exchange)> WorkQueues { get; } =
    [
        ("webhook-received", "Sync.Contracts:WebhookReceived"),
        ("change-contact-tags", "Sync.Contracts:ChangeContactTags"),
    ];

    /// <summary>Declares the wait queues of the policy's tiers, the poison queue and the work queues on an open channel.</summary>
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
        }

        await DeclareErrorQueuesAsync(channel, arguments, cancellationToken);
    }

    /// <summary>
    /// Each work queue's <c>&lt;queue&gt;_error</c>, bound to the fanout exchange of that name, so a dead letter is
    /// routed (and durable) before the collector ever runs. Declared with the work queues' own arguments: MassTransit
    /// declares its error queues with the receive queue's arguments, and the broker refuses a declaration that differs.
    /// </summary>
    private static async Task DeclareErrorQueuesAsync(IChannel channel, IDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        foreach (var (queue, _) in WorkQueues)
        {
            var error = queue + "_error";
            await channel.ExchangeDeclareAsync(error, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(error, durable: true, exclusive: false, autoDelete: false, arguments: arguments,
                cancellationToken: cancellationToken);
            await channel.QueueBindAsync(error, error, "", cancellationToken: cancellationToken);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Declared {Tiers} delay tiers and the poison queue")]
    private partial void LogDeclared(int tiers);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Broker not ready for topology (attempt {Attempt}): {Reason}")]
    private partial void LogBrokerNotReady(int attempt, string reason);
}
