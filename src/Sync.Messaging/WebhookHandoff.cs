using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Contracts;
using Sync.Core;
using Sync.Messaging.Internal;
using Sync.Messaging.Lanes;
using Sync.Messaging.Outbox;

namespace Sync.Messaging;

/// <summary>
/// Hands an accepted webhook over durably: publish with a confirm; if the broker is down or slow, write it to the
/// database outbox for the relay to publish later; if that fails too, say so (the ingress answers 429 and the sender
/// retries). The message id is <see cref="DeterministicId.ForWebhook"/> of the source and event id either way.
/// Once a publish has failed, handoffs go straight to the outbox while one at a time probes the broker
/// (<see cref="RabbitMqOptions.PublishProbeInterval"/>), so an unreachable broker costs one publish timeout, not one per webhook.
/// What a location sends beyond its budget goes to the backlog lane (<see cref="WebhookLanes"/>), in the outbox too.
/// </summary>
public sealed partial class WebhookHandoff
{
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();
    private readonly IConfirmedPublisher _publisher;
    private readonly WebhookLanes _lanes;
    private readonly PublisherCircuit _circuit;
    private readonly OutboxSpillWriter _spill;
    private readonly IOptions<OutboxOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookHandoff> _logger;

    /// <summary>Creates the handoff.</summary>
    public WebhookHandoff(
        IConfirmedPublisher publisher,
        WebhookLanes lanes,
        PublisherCircuit circuit,
        OutboxSpillWriter spill,
        IOptions<OutboxOptions> options,
        TimeProvider time,
        ILogger<WebhookHandoff> logger)
    {
        _publisher = publisher;
        _lanes = lanes;
        _circuit = circuit;
        _spill = spill;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Hands <paramref name="message"/> over; never throws for a broker or database fault.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<HandoffOutcome> HandOffAsync(WebhookReceived message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var messageId = DeterministicId.ForWebhook(message.Source, message.EventId);
        var lane = _lanes.Choose(message);

        if (_circuit.TryEnter(out var probe))
        {
            var answered = false;
            // A publish under way gives up as soon as the circuit opens (another publish failed, or the broker's
            // connection was seen to drop): its webhook goes to the outbox now, not after the publish timeout. The probe
            // publishes while the circuit is open, so only the request's own token bounds it.
            using var giveUp = probe ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _circuit.OpenedToken);
            var publishToken = giveUp?.Token ?? cancellationToken;
            try
            {
                if (lane == WebhookLane.Work)
                {
                    await _publisher.PublishAsync(message, messageId, publishToken);
                }
                else
                {
                    await _publisher.PublishAsync(message, typeof(WebhookReceived), WebhookLanes.BacklogDestination, messageId, NoHeaders, publishToken);
                }

                answered = true;
                _circuit.Succeeded(probe);
                return HandoffOutcome.Published;
            }
            catch (PublishFailedException ex)
            {
                answered = true;
                LogPublishFailed(_logger, message.Source, message.EventId, messageId, ex.Message, ex.InnerException?.GetType().Name);
                _circuit.Failed(probe, $"{message.Source} event {message.EventId}: {ex.Message}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The circuit opened while this publish waited for its confirm (it may still land: the outbox copy
                // carries the same message id, and the consumer's inbox drops the second).
                answered = true;
                LogPublishAbandoned(_logger, message.Source, message.EventId, messageId);
            }
            finally
            {
                if (!answered)
                {
                    _circuit.Abandoned(probe);
                }
            }
        }

        var timeout = _options.Value.EnqueueTimeout;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(timeout);
        Task? enqueue = null;
        try
        {
            var row = OutboxSerializer.ForSend(message, WebhookLanes.DestinationOf(lane), messageId, _time.GetUtcNow());
            enqueue = _spill.WriteAsync(row, bound.Token);
            await enqueue.WaitAsync(timeout, cancellationToken);
            return HandoffOutcome.Stored;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            enqueue?.ObserveFault();
            throw;
        }
        catch (Exception ex)
        {
            enqueue?.ObserveFault();
            LogStoreFailed(_logger, message.Source, message.EventId, messageId, ex.GetType().Name);
            return HandoffOutcome.Refused;
        }
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug,
        Message = "Publish of {Source} event {EventId} (message {MessageId}) failed, spilling to the outbox: {Reason} ({Cause})")]
    private static partial void LogPublishFailed(ILogger logger, string source, string eventId, Guid messageId, string reason, string? cause);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Debug,
        Message = "Publish of {Source} event {EventId} (message {MessageId}) abandoned: the broker is known to be down; spilling to the outbox")]
    private static partial void LogPublishAbandoned(ILogger logger, string source, string eventId, Guid messageId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error,
        Message = "Neither the broker nor the outbox took {Source} event {EventId} (message {MessageId}): {Cause}; the sender is asked to retry")]
    private static partial void LogStoreFailed(ILogger logger, string source, string eventId, Guid messageId, string cause);
}

/// <summary>Where a handed-over webhook went.</summary>
public enum HandoffOutcome
{
    /// <summary>Published and confirmed by the broker.</summary>
    Published,

    /// <summary>The broker did not confirm in time; the message is in the database outbox, to be published by the relay.</summary>
    Stored,

    /// <summary>Neither the broker nor the database took it: nothing is stored, the sender must retry.</summary>
    Refused,
}
