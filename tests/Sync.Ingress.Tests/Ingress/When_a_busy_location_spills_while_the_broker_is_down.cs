using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sync.Ingress.Tests.Support;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// The lane is chosen when the webhook is accepted, not when it is published: with RabbitMQ cut (through a proxy), a
/// location's burst and its excess are all stored in the outbox, and once the broker is back the relay publishes the
/// burst to the work queue and the excess to the backlog lane, each exactly once.
/// </summary>
[TestFixture]
public sealed class When_a_busy_location_spills_while_the_broker_is_down : IngressFixture
{
    private const int Burst = 5;
    private const int Webhooks = 8;
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Close_proxy
    private TcpProxy _broker = null!;
#pragma warning restore NUnit1032
    private WebhookQueue _work = null!;
    private WebhookQueue _backlog = null!;
    private readonly List<string> _handoffs = [];

    protected override void Configure(IngressSettings settings)
    {
        _broker = TcpProxy.Start(VirtualHost.Host, VirtualHost.Port);
        settings.Broker(VirtualHost, "127.0.0.1", _broker.Port)
            .Set("Sync:RabbitMq:PublishTimeout", "00:00:01")
            .Set("Sync:RabbitMq:PublishProbeInterval", "00:00:01")
            .Set("Sync:RabbitMq:PublishProbeMaxInterval", "00:00:01")
            .Set("Sync:Lanes:Burst", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Set("Sync:Lanes:EventsPerSecond", "0.01")
            .Set("Sync:Ingress:RequestTimeout", "00:00:20");
    }

    protected override async Task BeforeStartAsync()
    {
        _work = await WebhookQueue.BindAsync(VirtualHost, "probe-work-lane", WebhookQueue.Exchange);
        _backlog = await WebhookQueue.BindAsync(VirtualHost, "probe-backlog-lane", WebhookQueue.BacklogExchange);
    }

    protected override async Task AfterStartAsync()
    {
        await Ingress.WaitUntilReadyAsync("broker");
        _broker.Disconnect();
        for (var i = 0; i < Webhooks; i++)
        {
            using var response = await PostSignedSourceAsync(EventBodies.Source("contact.upserted", $"evt-spill-{i}", KnownLocation, DateTimeOffset.UtcNow), $"evt-spill-{i}");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"webhook {i}");
            _handoffs.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("handoff").GetString()!);
        }

        _broker.Reconnect();
    }

    [OneTimeTearDown]
    public async Task Close_proxy()
    {
        await StopIngressAsync();
        await _work.DisposeAsync();
        await _backlog.DisposeAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    [Test]
    public void Should_store_every_webhook_while_the_broker_is_down() =>
        Assert.That(_handoffs.Count(h => h == "stored"), Is.EqualTo(Webhooks));

    [Test]
    public async Task Should_relay_the_burst_to_the_work_queue_and_the_excess_to_the_backlog_lane()
    {
        await _work.WaitForAsync(Burst, TimeSpan.FromSeconds(60));
        await _backlog.WaitForAsync(Webhooks - Burst, TimeSpan.FromSeconds(60));
        await Task.Delay(1000);

        var work = await _work.CountAsync();
        var backlog = await _backlog.CountAsync();

        Assert.Multiple(() =>
        {
            Assert.That(work, Is.EqualTo(Burst), "the burst, in the work queue");
            Assert.That(backlog, Is.EqualTo(Webhooks - Burst), "the excess, in the backlog lane");
        });
    }
}
