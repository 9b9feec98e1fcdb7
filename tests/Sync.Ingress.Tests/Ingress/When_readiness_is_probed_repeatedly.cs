using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sync.Ingress.Tests.Support;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// <c>/health/ready</c> shares one answer for <c>ReadinessCacheDuration</c>, so probes cannot load the database. The
/// ingress runs on a clock the test moves, and the database behind a proxy the test cuts.
/// </summary>
[TestFixture]
public sealed class When_readiness_is_probed_repeatedly : IngressFixture
{
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Close_proxy
    private TcpProxy _database = null!;
#pragma warning restore NUnit1032
    private readonly TestClock _clock = new(DateTimeOffset.UtcNow);

    protected override void Configure(IngressSettings settings)
    {
        var direct = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
        _database = TcpProxy.Start(direct.Host!, direct.Port);
        settings
            .Database(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Host = "127.0.0.1", Port = _database.Port }.ConnectionString)
            .Set("Sync:Ingress:ReadinessCacheDuration", "00:00:02");
    }

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(_clock);

    [OneTimeTearDown]
    public async Task Close_proxy()
    {
        await StopIngressAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_answer_from_the_last_check_until_the_cache_duration_has_passed()
    {
        Assert.That(await DatabaseAsync(), Is.EqualTo("up"));
        _database.Disconnect();
        try
        {
            var withinTheWindow = await DatabaseAsync();
            _clock.Advance(TimeSpan.FromSeconds(3));
            var afterTheWindow = await DatabaseAsync();

            Assert.Multiple(() =>
            {
                Assert.That(withinTheWindow, Is.EqualTo("up"), "answered from the cache");
                Assert.That(afterTheWindow, Is.EqualTo("down"), "checked again");
            });
        }
        finally
        {
            _database.Reconnect();
        }
    }

    private async Task<string?> DatabaseAsync()
    {
        var report = await Ingress.Client.GetFromJsonAsync<JsonElement>("/health/ready");
        return report.GetProperty("checks").GetProperty("handoff").GetProperty("data").GetProperty("database").GetString();
    }
}
