using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// Declares, before the bus starts, what MassTransit does not: the delay tiers' wait queues and the poison queue.
/// Registered ahead of the bus's hosted service, so no consumer can fail before its way back exists.
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
                await DeclareAsync(channel, policy.Value.Tiers, cancellationToken);
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

    /// <summary>Declares the wait queues of <paramref name="tiers"/> and the poison queue on an open channel.</summary>
    public static async Task DeclareAsync(IChannel channel, DelayTiers tiers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await DelayTopology.DeclareAsync(channel, tiers, cancellationToken);
        await channel.ExchangeDeclareAsync(WorkQueuePolicy.PoisonQueue, ExchangeType.Fanout, durable: true, autoDelete: false,
            cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(WorkQueuePolicy.PoisonQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(WorkQueuePolicy.PoisonQueue, WorkQueuePolicy.PoisonQueue, "", cancellationToken: cancellationToken);
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Declared {Tiers} delay tiers and the poison queue")]
    private partial void LogDeclared(int tiers);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Broker not ready for topology (attempt {Attempt}): {Reason}")]
    private partial void LogBrokerNotReady(int attempt, string reason);
}
