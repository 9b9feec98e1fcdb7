using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Ingress.Tests.Support;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>
/// What a relay fixture needs: a virtual host (with the webhook queue bound, unless told not to), a database, and an
/// <see cref="OutboxHost"/> (running the relay, unless told not to), reaching the broker directly or through a proxy
/// the test can cut. Disposing it stops the host
/// and removes the rest, whatever part of it was started.
/// </summary>
internal sealed class OutboxRelayRig : IAsyncDisposable
{
    private RabbitMqTestVirtualHost? _vhost;
    private PostgresTestDatabase? _database;
    private WebhookQueue? _queue;
    private TcpProxy? _broker;
    private IHost? _host;

    public RabbitMqTestVirtualHost VirtualHost => _vhost!;

    public PostgresTestDatabase Database => _database!;

    public WebhookQueue Queue => _queue ?? throw new InvalidOperationException("This rig bound no queue.");

    /// <summary>The proxy to the broker, when started with <c>throughProxy</c>.</summary>
    public TcpProxy Broker => _broker ?? throw new InvalidOperationException("This rig reaches the broker directly.");

    public IHost Host => _host!;

    public IOutboxStore Outbox => Host.Services.GetRequiredService<IOutboxStore>();

    public static async Task<OutboxRelayRig> StartAsync(
        bool throughProxy = false, IDictionary<string, string?>? settings = null, bool relay = true, bool bindQueue = true)
    {
        var rig = new OutboxRelayRig();
        try
        {
            rig._vhost = await RabbitMqTestVirtualHost.CreateAsync();
            rig._database = await PostgresTestDatabase.CreateAsync();
            rig._queue = bindQueue ? await WebhookQueue.BindAsync(rig._vhost) : null;
            rig._broker = throughProxy ? TcpProxy.Start(rig._vhost.Host, rig._vhost.Port) : null;
            rig._host = await OutboxHost.StartAsync(rig._vhost, rig._database, relay, brokerPort: rig._broker?.Port, extra: settings);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the host's bus is connected (at most a minute).</summary>
    public async Task WaitForBusAsync()
    {
        var bus = Host.Services.GetRequiredService<MassTransit.IBusControl>();
        for (var waited = 0; bus.CheckHealth().Status != MassTransit.BusHealthStatus.Healthy; waited++)
        {
            Assert.That(waited, Is.LessThan(600), "the bus did not connect");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await OutboxHost.StopAsync(_host);
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }

        if (_queue is not null)
        {
            await _queue.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (_vhost is not null)
        {
            await _vhost.DisposeAsync();
        }
    }
}
