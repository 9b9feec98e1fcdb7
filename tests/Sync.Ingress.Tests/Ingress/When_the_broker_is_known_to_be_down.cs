using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sync.Ingress.Tests.Support;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// RabbitMQ cut (through a proxy, every connection reset) and webhooks arriving one after another: the broker watcher
/// sees its connection drop and opens the publisher's circuit, so no webhook waits out the publish timeout; every one
/// goes to the outbox. Once the broker is back a probe publish succeeds and handoffs publish again.
/// </summary>
[TestFixture]
public sealed class When_the_broker_is_known_to_be_down : IngressFixture
{
    private const int Webhooks = 12;
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Close_proxy
    private TcpProxy _broker = null!;
#pragma warning restore NUnit1032
    private readonly List<(string Handoff, TimeSpan Took)> _answers = [];

    protected override void Configure(IngressSettings settings)
    {
        _broker = TcpProxy.Start(VirtualHost.Host, VirtualHost.Port);
        settings.Broker(VirtualHost, "127.0.0.1", _broker.Port)
            .Set("Sync:RabbitMq:PublishTimeout", PublishTimeout.ToString())
            .Set("Sync:RabbitMq:PublishProbeInterval", "00:00:02")
            .Set("Sync:RabbitMq:PublishProbeMaxInterval", "00:00:02")
            .Set("Sync:Ingress:RequestTimeout", "00:00:20");
    }

    protected override async Task AfterStartAsync()
    {
        await Ingress.WaitUntilReadyAsync("broker");
        _broker.Disconnect();
        for (var i = 0; i < Webhooks; i++)
        {
            var started = Stopwatch.StartNew();
            using var response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", KnownLocation, $"wh-down-{i}", DateTimeOffset.UtcNow));
            var took = started.Elapsed;
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"webhook {i}");
            var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
            _answers.Add((answer.GetProperty("handoff").GetString()!, took));
        }
    }

    [OneTimeTearDown]
    public async Task Close_proxy()
    {
        await StopIngressAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    [Test]
    [Order(1)]
    public void Should_store_every_webhook() =>
        Assert.That(_answers.Count(a => a.Handoff == "stored"), Is.EqualTo(Webhooks));

    [Test]
    [Order(2)]
    public void Should_not_wait_for_a_broker_known_to_be_down() =>
        Assert.That(_answers.Count(a => a.Took >= PublishTimeout * 0.5), Is.Zero,
            string.Join(", ", _answers.Select(a => $"{a.Took.TotalMilliseconds:F0} ms")));

    [Test]
    [Order(3)]
    public void Should_say_once_that_webhooks_skip_the_broker() =>
        Assert.That(Ingress.Logs.Lines.Count(l => l.StartsWith("Warning", StringComparison.Ordinal) &&
                                                   l.Contains("webhooks go to the outbox without waiting for the broker", StringComparison.Ordinal)), Is.EqualTo(1));

    [Test]
    [Order(4)]
    public async Task Should_publish_again_once_a_probe_succeeds()
    {
        _broker.Reconnect();
        string? handoff = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var i = 0; handoff != "published" && DateTime.UtcNow < deadline; i++)
        {
            await Task.Delay(500);
            using var response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", KnownLocation, $"wh-back-{i}", DateTimeOffset.UtcNow));
            handoff = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("handoff").GetString();
        }

        Assert.Multiple(() =>
        {
            Assert.That(handoff, Is.EqualTo("published"));
            Assert.That(Ingress.Logs.Lines.Count(l => l.Contains("The broker takes publishes again", StringComparison.Ordinal)), Is.EqualTo(1));
        });
    }
}
