using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Sync.Core;
using Sync.Messaging.DeadLetters;

namespace Sync.Messaging.Internal;

/// <summary>
/// Publishes straight on RabbitMQ.Client channels with publisher confirms, in MassTransit's JSON envelope
/// (<c>application/vnd.masstransit+json</c>), so MassTransit's consumers read what it sends as their own. This is the
/// hot path of the ingress and the outbox relay: one envelope written per message and one <c>basic.publish</c> awaited
/// until its confirm, with no send pipeline around it. Publishes go to the message type's exchange (MassTransit's
/// name, <c>Namespace:Type</c>) or to an <c>exchange:</c> address, each declared once (durable, as MassTransit
/// declares it); a send to a queue goes through MassTransit (<see cref="ConfirmedPublisher"/>), which owns queue
/// declarations. Every publish is mandatory (an unroutable message fails instead of vanishing) and bounded by
/// <see cref="RabbitMqOptions.PublishTimeout"/>; a connection that is down fails a publish at once.
/// The publisher owns its connection's life instead of leaving it to the client's automatic recovery: a connection that
/// shuts down is dropped with its channels, and the next publish opens a new one (one attempt shared by the publishes
/// that wait for it). Recovered channels lost the confirms of publishes made while the recovery was under way (measured:
/// after an outage, a wave of publishes that were never confirmed and timed out), and a fresh connection has nothing of
/// the old one's state.
/// </summary>
internal sealed class BrokerPublisher : IConfirmedPublisher, IAsyncDisposable
{
    private const string EnvelopeContentType = "application/vnd.masstransit+json";
    private const string ActivityIdHeader = "MT-Activity-Id";
    private const int ChannelCount = 2;
    private static readonly JsonSerializerOptions BodyOptions = new(JsonSerializerDefaults.Web);
    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();
    private static readonly HostInfo Host = HostInfo.Current();
    private readonly ConfirmedPublisher _fallback;
    private readonly IOptions<RabbitMqOptions> _options;
    private readonly Lock _connectLock = new();
    private readonly Lock _channelLock = new();
    private readonly ConcurrentDictionary<string, bool> _declared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Type, string?> _typeExchanges = new();
    private readonly string _addressPrefix;
    private Connected? _current;
    private Task<Connected>? _connectAttempt;
    private IChannel? _topology;
    private int _next;
    private bool _disposed;

    public BrokerPublisher(ConfirmedPublisher fallback, IOptions<RabbitMqOptions> options)
    {
        _fallback = fallback;
        _options = options;
        var endpoint = options.Value.Resolve();
        _addressPrefix = $"rabbitmq://{endpoint.Host}/{(endpoint.VirtualHost == "/" ? "" : Uri.EscapeDataString(endpoint.VirtualHost) + "/")}";
    }

    public Task PublishAsync<T>(T message, Guid messageId, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(message);
        return TypeExchange(typeof(T)) is { } exchange
            ? SendAsync(typeof(T), exchange, JsonSerializer.SerializeToUtf8Bytes(message, BodyOptions), messageId, NoHeaders, cancellationToken)
            : _fallback.PublishAsync(message, messageId, cancellationToken);
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
        return ExchangeOf(messageType, destination) is { } exchange
            ? SendAsync(messageType, exchange, JsonSerializer.SerializeToUtf8Bytes(message, messageType, BodyOptions), messageId, headers, cancellationToken)
            : _fallback.PublishAsync(message, messageType, destination, messageId, headers, cancellationToken);
    }

    public Task PublishSerializedAsync(
        Type messageType,
        string body,
        string destination,
        Guid messageId,
        IReadOnlyDictionary<string, string> headers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messageType);
        ArgumentNullException.ThrowIfNull(body);
        return ExchangeOf(messageType, destination) is { } exchange
            ? SendAsync(messageType, exchange, System.Text.Encoding.UTF8.GetBytes(body), messageId, headers, cancellationToken)
            : _fallback.PublishSerializedAsync(messageType, body, destination, messageId, headers, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Connected? current;
        Task<Connected>? attempt;
        lock (_connectLock)
        {
            _disposed = true;
            current = _current;
            attempt = _connectAttempt;
            _current = null;
        }

        if (attempt is not null)
        {
            // An attempt under way sees _disposed when it ends and closes what it opened.
            await attempt.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        if (current is not null)
        {
            await RabbitMqConnections.AbortQuietlyAsync(current.Connection).ConfigureAwait(false);
        }
    }

    // The exchange a destination names: the type's own for "publish", the name of an "exchange:" address; null for a queue.
    private string? ExchangeOf(Type messageType, string destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        if (string.Equals(destination, ConfirmedPublisher.PublishDestination, StringComparison.OrdinalIgnoreCase))
        {
            return TypeExchange(messageType);
        }

        if (!destination.StartsWith(ConfirmedPublisher.ExchangePrefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var name = destination[ConfirmedPublisher.ExchangePrefix.Length..];
        var query = name.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            // Only fanout exchanges are sent to as addresses here; any other type is MassTransit's to declare.
            var type = name[(query + 1)..];
            if (!type.Split('&').Contains("type=fanout", StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }

            name = name[..query];
        }

        return name.Length == 0 ? null : name;
    }

    // MassTransit's exchange name of a message type: "Namespace:Name"; null (sent through MassTransit) for generic or nested types.
    private string? TypeExchange(Type type) => _typeExchanges.GetOrAdd(type, static t =>
        t.IsGenericType || t.IsNested || string.IsNullOrEmpty(t.Namespace) ? null : $"{t.Namespace}:{t.Name}");

    private async Task SendAsync(Type messageType, string exchange, byte[] message, Guid messageId, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        var timeout = _options.Value.PublishTimeout;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(timeout);
        using var span = SyncTelemetry.ActivitySource.StartActivity($"{exchange} publish", ActivityKind.Producer);
        span?.SetTag("messaging.system", "rabbitmq");
        span?.SetTag("messaging.destination.name", exchange);
        span?.SetTag("messaging.message.id", messageId.ToString());
        try
        {
            // The consumer continues the trace of a recorded span only (as MassTransit propagates only the activities
            // it records); a context upstream chose not to sample would otherwise hide the consumer's spans too.
            var activityId = (span ?? Activity.Current) is { Recorded: true } traced ? traced.Id : null;
            var body = Envelope(messageType, exchange, message, messageId, headers, activityId);
            var properties = new BasicProperties
            {
                ContentType = EnvelopeContentType,
                MessageId = messageId.ToString(),
                Persistent = true,
                Headers = TransportHeaders(headers, activityId),
            };
            var channel = await ChannelAsync(bound.Token).ConfigureAwait(false);
            await DeclareAsync(exchange, bound.Token).ConfigureAwait(false);
            await channel.BasicPublishAsync(exchange, "", mandatory: true, properties, body, bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            span?.SetStatus(ActivityStatusCode.Error, "timed out");
            throw new PublishFailedException($"The broker did not confirm the message within {timeout.TotalMilliseconds:F0} ms.", ex) { TimedOut = true };
        }
        catch (PublishException ex) when (ex.IsReturn)
        {
            span?.SetStatus(ActivityStatusCode.Error, "returned");
            throw new PublishFailedException($"The broker returned the message: no queue is bound to exchange '{exchange}'.", ex);
        }
        catch (PublishFailedException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not JsonException)
        {
            // Declared again next time: a broker that lost its definitions closed the channel with 404 for this exchange.
            _declared.TryRemove(exchange, out _);
            span?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw new PublishFailedException($"The broker did not take the message: {ex.GetType().Name}.", ex);
        }
    }

    private async ValueTask<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _current) ?? await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var channels = current.Channels;
        var index = (int)((uint)Interlocked.Increment(ref _next) % (uint)channels.Length);
        var channel = channels[index];
        if (channel.IsOpen || !current.Connection.IsOpen)
        {
            // A channel of a connection that is down fails its publish at once, which is what a caller needs to know;
            // the connection's shutdown drops it, and the next publish opens a new one.
            return channel;
        }

        // Closed by the broker (a channel error) while the connection lives: replace it.
        var replacement = await current.Connection.CreateChannelAsync(PublishChannel, cancellationToken).ConfigureAwait(false);
        lock (_channelLock)
        {
            if (ReferenceEquals(channels[index], channel))
            {
                channels[index] = replacement;
                return replacement;
            }
        }

        await replacement.DisposeAsync().ConfigureAwait(false);
        return channels[index];
    }

    private static CreateChannelOptions PublishChannel =>
        new(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null);

    // One attempt at a time, shared by every publish that waits for it; each waits no longer than its own timeout.
    private Task<Connected> ConnectAsync(CancellationToken cancellationToken)
    {
        Task<Connected> attempt;
        lock (_connectLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_current is { } ready)
            {
                return Task.FromResult(ready);
            }

            if (_connectAttempt is not { IsCompleted: false } running)
            {
                running = ConnectOnceAsync();
                _connectAttempt = running;
            }

            attempt = running;
        }

        return attempt.WaitAsync(cancellationToken);
    }

    private async Task<Connected> ConnectOnceAsync()
    {
        await Task.Yield();
        var settings = _options.Value;
        using var timeout = new CancellationTokenSource(settings.PublishTimeout);
        IConnection connection;
        try
        {
            var factory = RabbitMqConnections.Factory(settings, "sync-publisher", automaticRecovery: false);
            factory.RequestedHeartbeat = settings.Heartbeat;
            connection = await factory.CreateConnectionAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            throw new PublishFailedException($"The broker connection could not be opened: {ex.GetType().Name}.", ex);
        }

        try
        {
            var channels = new IChannel[ChannelCount];
            for (var i = 0; i < channels.Length; i++)
            {
                channels[i] = await connection.CreateChannelAsync(PublishChannel, timeout.Token).ConfigureAwait(false);
            }

            var current = new Connected(connection, channels);
            connection.ConnectionShutdownAsync += (_, _) =>
            {
                Drop(current);
                return Task.CompletedTask;
            };
            lock (_connectLock)
            {
                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(BrokerPublisher));
                }

                _current = current;
            }

            if (!connection.IsOpen)
            {
                // Shut down before the handler was attached: drop it now.
                Drop(current);
            }

            return current;
        }
        catch (Exception ex)
        {
            await RabbitMqConnections.AbortQuietlyAsync(connection).ConfigureAwait(false);
            if (ex is ObjectDisposedException)
            {
                throw;
            }

            throw new PublishFailedException($"The broker connection could not be opened: {ex.GetType().Name}.", ex);
        }
    }

    // A connection that shut down is forgotten (the next publish opens a new one) and closed in the background.
    private void Drop(Connected dead)
    {
        lock (_connectLock)
        {
            if (!ReferenceEquals(_current, dead))
            {
                return;
            }

            _current = null;
        }

        _ = Task.Run(() => RabbitMqConnections.AbortQuietlyAsync(dead.Connection));
    }

    // Declares an exchange once (durable fanout, as MassTransit declares a message type's exchange and a fanout address).
    private async ValueTask DeclareAsync(string exchange, CancellationToken cancellationToken)
    {
        if (_declared.ContainsKey(exchange))
        {
            return;
        }

        var topology = _topology;
        if (topology is not { IsOpen: true })
        {
            var connection = Volatile.Read(ref _current)?.Connection ?? throw new PublishFailedException("The broker connection is not open.");
            var created = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var current = Interlocked.CompareExchange(ref _topology, created, topology);
            if (ReferenceEquals(current, topology))
            {
                topology = created;
            }
            else
            {
                await created.DisposeAsync().ConfigureAwait(false);
                topology = current!;
            }
        }

        await topology.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        _declared[exchange] = true;
    }

    private static Dictionary<string, object?>? TransportHeaders(IReadOnlyDictionary<string, string> headers, string? activityId)
    {
        if (headers.Count == 0 && activityId is null)
        {
            return null;
        }

        var transport = new Dictionary<string, object?>(headers.Count + 1, StringComparer.Ordinal);
        foreach (var (key, value) in headers)
        {
            transport[key] = value;
        }

        if (activityId is not null)
        {
            transport[ActivityIdHeader] = activityId;
        }

        return transport;
    }

    // MassTransit's JSON envelope around the message's own JSON.
    private byte[] Envelope(Type messageType, string exchange, byte[] message, Guid messageId, IReadOnlyDictionary<string, string> headers, string? activityId)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(message.Length + 768);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("messageId", messageId);
            json.WriteString("conversationId", messageId);
            json.WriteString("destinationAddress", _addressPrefix + exchange);
            json.WriteStartArray("messageType");
            json.WriteStringValue($"urn:message:{messageType.Namespace}:{messageType.Name}");
            json.WriteEndArray();
            json.WritePropertyName("message");
            json.WriteRawValue(message); // validated: a body that is not JSON fails here, before anything is sent
            json.WriteString("sentTime", DateTime.UtcNow);
            json.WriteStartObject("headers");
            foreach (var (key, value) in headers)
            {
                json.WriteString(key, value);
            }

            if (activityId is not null)
            {
                json.WriteString(ActivityIdHeader, activityId);
            }

            json.WriteEndObject();
            json.WriteStartObject("host");
            json.WriteString("machineName", Host.MachineName);
            json.WriteString("processName", Host.ProcessName);
            json.WriteNumber("processId", Host.ProcessId);
            json.WriteString("assembly", Host.Assembly);
            json.WriteString("assemblyVersion", Host.AssemblyVersion);
            json.WriteString("frameworkVersion", Host.FrameworkVersion);
            json.WriteString("operatingSystemVersion", Host.OperatingSystemVersion);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // A connection and its publishing channels (a channel closed by the broker is replaced in place).
    private sealed record Connected(IConnection Connection, IChannel[] Channels);

    private sealed record HostInfo(string MachineName, string ProcessName, int ProcessId, string Assembly, string AssemblyVersion, string FrameworkVersion, string OperatingSystemVersion)
    {
        public static HostInfo Current()
        {
            var entry = System.Reflection.Assembly.GetEntryAssembly()?.GetName();
            using var process = Process.GetCurrentProcess();
            return new HostInfo(
                Environment.MachineName,
                process.ProcessName,
                Environment.ProcessId,
                entry?.Name ?? "",
                entry?.Version?.ToString() ?? "",
                RuntimeInformation.FrameworkDescription,
                RuntimeInformation.OSDescription);
        }
    }
}
