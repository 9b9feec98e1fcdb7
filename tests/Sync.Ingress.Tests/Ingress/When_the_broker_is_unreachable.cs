using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sync.Core;
using Sync.Ingress.Tests.Support;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>RabbitMQ cut (through a proxy): the event spills to the outbox, is answered 200, and is published after recovery.</summary>
[TestFixture]
public sealed class When_the_broker_is_unreachable : IngressFixture
{
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Close_proxies
    private TcpProxy _broker = null!;
#pragma warning restore NUnit1032
    private HttpResponseMessage _response = null!;
    private uint _queuedWhileCut;

    protected override void Configure(IngressSettings settings)
    {
        _broker = TcpProxy.Start(VirtualHost.Host, VirtualHost.Port);
        settings.Broker(VirtualHost, "127.0.0.1", _broker.Port);
    }

    protected override async Task AfterStartAsync()
    {
        await Ingress.WaitUntilReadyAsync("broker");
        _broker.Disconnect();

        _response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", KnownLocation, "wh-during-outage", DateTimeOffset.UtcNow));
        _queuedWhileCut = await Queue.CountAsync();
    }

    [OneTimeTearDown]
    public async Task Close_proxies()
    {
        await StopIngressAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }

    [Test]
    [Order(1)]
    public async Task Should_still_answer_200()
    {
        Assert.That(_response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var answer = await _response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(answer.GetProperty("handoff").GetString(), Is.EqualTo("stored"));
    }

    [Test]
    [Order(2)]
    public void Should_not_be_in_the_queue_while_the_broker_is_cut() => Assert.That(_queuedWhileCut, Is.Zero);

    [Test]
    [Order(3)]
    public async Task Should_be_published_with_its_message_id_once_the_broker_is_back()
    {
        _broker.Reconnect();

        await Queue.WaitForAsync(1, TimeSpan.FromSeconds(90));
        var queued = await Queue.DrainAsync();

        Assert.That(queued.Select(m => m.MessageId).Distinct(),
            Is.EqualTo(new[] { DeterministicId.ForWebhook("hoopai", "wh-during-outage").ToString() }));
    }
}
