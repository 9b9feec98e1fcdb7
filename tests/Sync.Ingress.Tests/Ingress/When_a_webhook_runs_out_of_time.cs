using System.Net;
using Sync.Ingress.Tests.Support;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// A request budget (1 s) shorter than the publish bound (2 s) with a broker that stops answering (the network holds
/// every byte, no connection is reset, so nothing tells the ingress the broker is gone): the request times out before
/// the event is durable, and the sender is asked to retry with 429 rather than answered 5xx.
/// </summary>
[TestFixture]
public sealed class When_a_webhook_runs_out_of_time : IngressFixture
{
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Close_proxy
    private TcpProxy _broker = null!;
#pragma warning restore NUnit1032
    private HttpResponseMessage _response = null!;

    protected override void Configure(IngressSettings settings)
    {
        _broker = TcpProxy.Start(VirtualHost.Host, VirtualHost.Port);
        settings.Broker(VirtualHost, "127.0.0.1", _broker.Port).Set("Sync:Ingress:RequestTimeout", "00:00:01");
    }

    protected override async Task AfterStartAsync()
    {
        await Ingress.WaitUntilReadyAsync("broker");
        _broker.Stall();
        _response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", KnownLocation, "wh-slow", DateTimeOffset.UtcNow));
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
    public async Task Should_answer_429_with_a_problem_body()
    {
        var problem = await ReadProblemAsync(_response, HttpStatusCode.TooManyRequests);

        Assert.That(ProblemType(problem), Is.EqualTo("try-later"));
    }

    [Test]
    public void Should_say_when_to_retry() => Assert.That(_response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(30)));
}
