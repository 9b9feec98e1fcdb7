using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Sync.Messaging.Redelivery;

/// <summary>
/// Makes sure the error queue of a work queue exists before a dead letter is sent to it, once per queue and process:
/// the known work queues' error queues are declared at start-up, and any other endpoint under Sync's policy gets its
/// own on its first dead letter. A send to an exchange with no queue bound would otherwise be dropped by the broker.
/// </summary>
public sealed class ErrorQueueDeclarer(IOptions<RabbitMqOptions> rabbit, IOptions<RedeliveryPolicyOptions> policy) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task>> _declared = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connectionGate = new(1, 1);
    private IConnection? _connection;

    /// <summary>Declares <c>&lt;queue&gt;_error</c> unless this process already did; a failed declaration is tried again next time.</summary>
    public async Task EnsureAsync(string queue, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        var declaration = _declared.GetOrAdd(queue, q => new Lazy<Task>(() => DeclareAsync(q)));
        try
        {
            await declaration.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _declared.TryRemove(new KeyValuePair<string, Lazy<Task>>(queue, declaration));
            throw;
        }
    }

    /// <summary>Marks a queue's error queue as declared (the start-up topology did it).</summary>
    public void Declared(string queue) => _declared.TryAdd(queue, new Lazy<Task>(Task.CompletedTask));

    /// <inheritdoc />
    public void Dispose()
    {
        _connection?.Dispose();
        _connectionGate.Dispose();
    }

    private async Task DeclareAsync(string queue)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var connection = await ConnectAsync(timeout.Token);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: timeout.Token);
        await RedeliveryTopologyInitializer.DeclareErrorQueueAsync(channel, queue, policy.Value, timeout.Token);
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        await _connectionGate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsOpen: true })
            {
                return _connection;
            }

            _connection?.Dispose();
            _connection = await RedeliveryTopologyInitializer.ConnectionFactoryFor(rabbit.Value, "sync-error-topology")
                .CreateConnectionAsync(cancellationToken);
            return _connection;
        }
        finally
        {
            _connectionGate.Release();
        }
    }
}
