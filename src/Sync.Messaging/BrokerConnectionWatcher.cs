using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Sync.Messaging.DeadLetters;

namespace Sync.Messaging;

/// <summary>
/// Keeps one small connection of its own to the broker and tells the <see cref="PublisherCircuit"/> what it sees: the
/// connection dropping or the broker blocking publishers (a memory or disk alarm) opens the circuit at once, so
/// webhooks spill to the outbox without one of them first waiting out the publish timeout, and publishes already
/// waiting for a confirm give up; the connection coming back (or the broker unblocking) makes the next probe due now.
/// A publish still decides: the circuit closes only when one succeeds.
/// </summary>
public sealed partial class BrokerConnectionWatcher(
    IOptions<RabbitMqOptions> options,
    PublisherCircuit circuit,
    ILogger<BrokerConnectionWatcher> logger) : BackgroundService
{
    private IConnection? _connection;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var factory = RabbitMqConnections.Factory(settings, "sync-broker-watch", automaticRecovery: true);
        factory.RequestedHeartbeat = settings.Heartbeat;
        factory.NetworkRecoveryInterval = settings.PublishProbeInterval;
        factory.TopologyRecoveryEnabled = false;
        var delay = settings.PublishProbeInterval;
        var warned = false;
        while (!stoppingToken.IsCancellationRequested && _connection is null)
        {
            try
            {
                var connection = await factory.CreateConnectionAsync(stoppingToken);
                connection.ConnectionShutdownAsync += OnShutdownAsync;
                connection.ConnectionBlockedAsync += OnBlockedAsync;
                connection.ConnectionUnblockedAsync += OnUnblockedAsync;
                connection.RecoverySucceededAsync += OnRecoveredAsync;
                _connection = connection;
                if (warned)
                {
                    circuit.ProbeNow();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The first connection is not up yet: publishes find that out for themselves meanwhile.
                if (!warned)
                {
                    LogNotConnected(logger, ex.GetType().Name, ex.Message);
                    warned = true;
                }

                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.PublishProbeMaxInterval.Ticks));
            }
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_connection is { } connection)
        {
            connection.ConnectionShutdownAsync -= OnShutdownAsync;
            await RabbitMqConnections.AbortQuietlyAsync(connection);
        }
    }

    private Task OnShutdownAsync(object? sender, ShutdownEventArgs args)
    {
        if (args.Initiator != ShutdownInitiator.Application)
        {
            circuit.BrokerLost($"the connection to the broker was lost: {args.ReplyText} ({args.Initiator})");
        }

        return Task.CompletedTask;
    }

    private Task OnBlockedAsync(object? sender, ConnectionBlockedEventArgs args)
    {
        circuit.BrokerLost($"the broker blocks publishers: {args.Reason}");
        return Task.CompletedTask;
    }

    private Task OnUnblockedAsync(object? sender, AsyncEventArgs args)
    {
        circuit.ProbeNow();
        return Task.CompletedTask;
    }

    private Task OnRecoveredAsync(object? sender, AsyncEventArgs args)
    {
        LogRecovered(logger);
        circuit.ProbeNow();
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning,
        Message = "The broker watcher cannot connect yet ({ExceptionType}: {Reason}); it keeps trying, and publishes find out for themselves meanwhile")]
    private static partial void LogNotConnected(ILogger logger, string exceptionType, string reason);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "The broker watcher's connection is back; the next publish probes the broker now")]
    private static partial void LogRecovered(ILogger logger);
}
