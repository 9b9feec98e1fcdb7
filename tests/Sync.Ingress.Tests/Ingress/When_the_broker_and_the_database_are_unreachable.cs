using System.Net;
using Npgsql;
using Sync.Ingress.Tests.Support;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>Neither RabbitMQ nor PostgreSQL reachable: nothing can hold the event, so the sender is told to retry (429).</summary>
[TestFixture]
public sealed class When_the_broker_and_the_database_are_unreachable : IngressFixture
{
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Close_proxies
    private TcpProxy _broker = null!;
#pragma warning restore NUnit1032
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Close_proxies
    private TcpProxy _database = null!;
#pragma warning restore NUnit1032
    private HttpResponseMessage _response = null!;

    protected override void Configure(IngressSettings settings)
    {
        _broker = TcpProxy.Start(VirtualHost.Host, VirtualHost.Port);
        settings.Broker(VirtualHost, "127.0.0.1", _broker.Port);

        var direct = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
        _database = TcpProxy.Start(direct.Host!, direct.Port);
        settings.Database(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Host = "127.0.0.1", Port = _database.Port }.ConnectionString);
    }

    protected override async Task AfterStartAsync()
    {
        await Ingress.WaitUntilReadyAsync("broker");
        _broker.Disconnect();
        _database.Disconnect();

        _response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", KnownLocation, "wh-nowhere", DateTimeOffset.UtcNow));
    }

    [OneTimeTearDown]
    public async Task Close_proxies()
    {
        await StopIngressAsync();
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_answer_429_with_a_problem_body()
    {
        var problem = await ReadProblemAsync(_response, HttpStatusCode.TooManyRequests);

        Assert.That(ProblemType(problem), Is.EqualTo("try-later"));
    }

    [Test]
    public void Should_say_when_to_retry() =>
        Assert.That(_response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(30)));

    [Test]
    public async Task Should_not_have_published_it() => Assert.That(await Queue.CountAsync(), Is.Zero);
}
