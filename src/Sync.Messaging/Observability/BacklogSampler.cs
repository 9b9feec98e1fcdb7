using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using Sync.Core;
using Sync.Messaging.Redelivery;
using Sync.Storage;

namespace Sync.Messaging.Observability;

/// <summary>
/// Samples what waits: the outbox's backlog and the age of its oldest due row (<c>sync.outbox.*</c>), and, in a worker,
/// the messages ready in each work queue and its error queue (<c>sync.queue.depth</c>). A failed sample is logged once
/// as a warning and tried again next interval; the gauges keep their last value meanwhile.
/// </summary>
public sealed partial class BacklogSampler(
    IOutboxStore outbox,
    IOptions<RabbitMqOptions> rabbit,
    IOptions<BacklogSamplerOptions> options,
    TimeProvider time,
    ILogger<BacklogSampler> logger) : BackgroundService
{
    private IConnection? _connection;
    private bool _failing;

    /// <summary>Takes one sample now (also what each interval does).</summary>
    public async Task SampleAsync(CancellationToken cancellationToken)
    {
        var backlog = await outbox.GetBacklogAsync(cancellationToken);
        SyncTelemetry.OutboxBacklog.Record(backlog.Pending);
        SyncTelemetry.OutboxOldestAge.Record(backlog.OldestDueAt is { } due ? Math.Max(0, (time.GetUtcNow() - due).TotalSeconds) : 0);

        if (options.Value.QueueDepths)
        {
            _connection ??= await RedeliveryTopologyInitializer.ConnectionFactoryFor(rabbit.Value, "sync-queue-depths").CreateConnectionAsync(cancellationToken);
            foreach (var (queue, _) in RedeliveryTopologyInitializer.WorkQueues)
            {
                foreach (var name in new[] { queue, queue + "_error" })
                {
                    // A passive declare answers the ready count; a queue that does not exist yet closes the channel.
                    await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
                    try
                    {
                        var ok = await channel.QueueDeclarePassiveAsync(name, cancellationToken);
                        SyncTelemetry.QueueDepth.Record(ok.MessageCount, new KeyValuePair<string, object?>("queue", name));
                    }
                    catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                    {
                        // Not declared yet: nothing to show.
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _connection?.Dispose();
        base.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SampleAsync(stoppingToken);
                if (_failing)
                {
                    _failing = false;
                    LogRecovered(logger);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                if (_connection is { IsOpen: false })
                {
                    _connection.Dispose();
                    _connection = null;
                }

                if (!_failing)
                {
                    _failing = true;
                    LogSampleFailed(logger, ex.GetType().Name, ex.Message);
                }
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(EventId = 2401, Level = LogLevel.Warning, Message = "Backlog sample failed ({ExceptionType}: {Reason}); the gauges keep their last values until it succeeds")]
    private static partial void LogSampleFailed(ILogger logger, string exceptionType, string reason);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Information, Message = "Backlog samples succeed again")]
    private static partial void LogRecovered(ILogger logger);
}

/// <summary>How often <see cref="BacklogSampler"/> samples (<c>Sync:Observability:Backlog</c>).</summary>
public sealed class BacklogSamplerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Sync:Observability:Backlog";

    /// <summary>Time between samples. Default 15 s, at least 100 ms.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.100", "01:00:00",
        ErrorMessage = "Sync:Observability:Backlog:Interval must be between 00:00:00.100 and 01:00:00.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether to sample the work and error queues' depths (the worker does; the ingress does not). Default false.</summary>
    public bool QueueDepths { get; set; }
}
