using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Sync.Messaging.Redelivery;
using Sync.Storage;

namespace Sync.Messaging.DeadLetters;

/// <summary>
/// Moves dead letters from the broker into the dead-letter store: consumes every work queue's <c>_error</c> queue and
/// <see cref="WorkQueuePolicy.PoisonQueue"/>, writes each message (<see cref="DeadLetterEnvelopeReader"/>) and
/// acknowledges it only after the row is committed. A message whose write fails is given back to the broker. Safe with
/// any number of workers: a redelivered message (a collector died between commit and acknowledgement) updates its own
/// row without counting twice. Also purges resolved dead letters past <see cref="DeadLetterOptions.Retention"/>.
/// </summary>
public sealed partial class DeadLetterCollector(
    IDeadLetterStore store,
    IOptions<RabbitMqOptions> rabbit,
    IOptions<DeadLetterOptions> options,
    TimeProvider time,
    ILogger<DeadLetterCollector> logger) : BackgroundService
{
    private DateTimeOffset _nextPurge = DateTimeOffset.MinValue;

    /// <summary>The queues the collector consumes: each work queue's <c>_error</c> queue and the poison queue.</summary>
    public static IReadOnlyList<string> Queues { get; } =
    [
        .. RedeliveryTopologyInitializer.WorkQueues.Select(q => q.Queue + DeadLetterEnvelopeReader.ErrorQueueSuffix),
        WorkQueuePolicy.PoisonQueue,
    ];

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.CollectorEnabled)
        {
            LogDisabled();
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CollectAsync(settings, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogBrokerUnavailable(ex.GetType().Name, ex.Message, settings.RetryDelay);
            }

            try
            {
                await Task.Delay(settings.RetryDelay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // One connection, one channel per queue; returns when the connection is lost so the caller reconnects.
    private async Task CollectAsync(DeadLetterOptions settings, CancellationToken stoppingToken)
    {
        var factory = RabbitMqConnections.Factory(rabbit.Value, $"sync-dead-letter-collector/{Environment.MachineName}/{Environment.ProcessId}", automaticRecovery: false);
        await using var connection = await factory.CreateConnectionAsync(stoppingToken);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionShutdownAsync += (_, _) =>
        {
            lost.TrySetResult();
            return Task.CompletedTask;
        };

        var channels = new List<IChannel>();
        try
        {
            foreach (var queue in Queues)
            {
                var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
                channels.Add(channel);
                await channel.BasicQosAsync(0, (ushort)settings.Prefetch, global: false, stoppingToken);
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += (_, delivery) => CollectOneAsync(channel, queue, delivery, stoppingToken);
                try
                {
                    await channel.BasicConsumeAsync(queue, autoAck: false, consumer, stoppingToken);
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex)
                {
                    // The failure path declares the error queues at worker start-up; until then there is nothing to collect.
                    LogQueueMissing(queue, ex.ShutdownReason?.ReplyText ?? ex.Message);
                    throw;
                }
            }

            LogStarted(Queues.Count, settings.Prefetch);
            while (!stoppingToken.IsCancellationRequested && !lost.Task.IsCompleted)
            {
                await PurgeIfDueAsync(settings, stoppingToken);
                await Task.WhenAny(lost.Task, Task.Delay(TimeSpan.FromMinutes(1), time, stoppingToken));
            }

            stoppingToken.ThrowIfCancellationRequested();
            LogConnectionLost();
        }
        finally
        {
            foreach (var channel in channels)
            {
                try
                {
                    await channel.DisposeAsync();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The connection is already gone; unacknowledged messages return to their queues either way.
                }
            }
        }
    }

    private async Task CollectOneAsync(IChannel channel, string queue, BasicDeliverEventArgs delivery, CancellationToken stoppingToken)
    {
        DeadLetterWriteResult written;
        try
        {
            var failure = DeadLetterEnvelopeReader.Read(queue, delivery.BasicProperties, delivery.Body, time.GetUtcNow());
            written = await store.AddOrUpdateAsync(failure, stoppingToken);
            LogCollected(written.Id, failure.SourceQueue, failure.MessageId, failure.Classification, written.Created);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Not stored: give it back and slow down, the database is likely unavailable.
            LogStoreFailed(queue, ex.GetType().Name, ex.Message);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None);
            await Task.Delay(options.Value.RetryDelay, time, stoppingToken);
            return;
        }

        // Only now, with the row committed. If this acknowledgement is lost the message comes again and updates its own row.
        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None);
    }

    private async Task PurgeIfDueAsync(DeadLetterOptions settings, CancellationToken cancellationToken)
    {
        if (settings.Retention is not { } retention)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (now < _nextPurge)
        {
            return;
        }

        _nextPurge = now + settings.PurgeInterval;
        try
        {
            var purged = await store.PurgeAsync(now - retention, includeNew: false, cancellationToken);
            if (purged > 0)
            {
                LogPurged(purged, retention);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPurgeFailed(ex.GetType().Name, ex.Message);
        }
    }

    [LoggerMessage(EventId = 2401, Level = LogLevel.Information, Message = "Dead-letter collector consuming {Queues} queues (prefetch {Prefetch})")]
    private partial void LogStarted(int queues, int prefetch);

    [LoggerMessage(EventId = 2402, Level = LogLevel.Information, Message = "Dead-letter collector disabled by configuration (Sync:DeadLetters:CollectorEnabled)")]
    private partial void LogDisabled();

    [LoggerMessage(EventId = 2403, Level = LogLevel.Information,
        Message = "Dead letter {DeadLetterId} stored from {SourceQueue} (message {MessageId}, {Classification}, new row: {Created})")]
    private partial void LogCollected(Guid deadLetterId, string sourceQueue, string messageId, string classification, bool created);

    [LoggerMessage(EventId = 2404, Level = LogLevel.Warning, Message = "Dead letter from {Queue} not stored ({ExceptionType}: {Reason}); given back to the broker")]
    private partial void LogStoreFailed(string queue, string exceptionType, string reason);

    [LoggerMessage(EventId = 2405, Level = LogLevel.Warning, Message = "Dead-letter collector cannot consume ({ExceptionType}: {Reason}); retrying in {Delay}")]
    private partial void LogBrokerUnavailable(string exceptionType, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 2406, Level = LogLevel.Warning, Message = "Dead-letter queue {Queue} cannot be consumed yet: {Reason}")]
    private partial void LogQueueMissing(string queue, string reason);

    [LoggerMessage(EventId = 2407, Level = LogLevel.Warning, Message = "Dead-letter collector lost its broker connection; reconnecting")]
    private partial void LogConnectionLost();

    [LoggerMessage(EventId = 2408, Level = LogLevel.Information, Message = "Purged {Count} resolved dead letters older than {Retention}")]
    private partial void LogPurged(int count, TimeSpan retention);

    [LoggerMessage(EventId = 2409, Level = LogLevel.Warning, Message = "Dead-letter purge failed ({ExceptionType}: {Reason}); next try at the next interval")]
    private partial void LogPurgeFailed(string exceptionType, string reason);
}
