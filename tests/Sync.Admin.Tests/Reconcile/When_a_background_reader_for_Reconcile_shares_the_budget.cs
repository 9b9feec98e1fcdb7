using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sync.HoopAi;
using Sync.HoopAi.Api;
using Sync.Storage;

namespace Sync.Admin.Tests.Reconcile;

/// <summary>
/// A background reader (a share of the budget below 1) takes a call only while the location's shared schedule leaves
/// live traffic the rest: with a second of calls already scheduled, a live call asked for after it is served first.
/// </summary>
public sealed class When_a_background_reader_for_Reconcile_shares_the_budget
{
    private ReconcileSandbox _world = null!;
    private ServiceProvider _services = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _world = await ReconcileSandbox.StartAsync();
        var settings = new Dictionary<string, string?>(_world.Settings)
        {
            // 5 calls a second: slots 200 ms apart, so five scheduled calls fill the next second.
            ["Sync:HoopAi:RateLimitMax"] = "5",
            ["Sync:HoopAi:RateLimitInterval"] = "00:00:01",
            ["Sync:HoopAi:RateLimitHeadroom"] = "0",
        };
        _services = ReconcileSandbox.BuildServices(settings);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _services.DisposeAsync();
        await _world.DisposeAsync();
    }

    [TestCase(0.2, "live", "background")]
    [TestCase(1.0, "background", "live")]
    public async Task Should_leave_live_traffic_the_rest_of_the_budget(double share, string first, string second)
    {
        var location = "Share" + Guid.NewGuid().ToString("N")[..15];
        var options = _services.GetRequiredService<IOptions<HoopAiOptions>>().Value;
        var store = _services.GetRequiredService<IRateLimitStore>();
        var limiter = _services.GetRequiredService<IApiRateLimiter>();
        var budget = new RateLimitBudget(options.RateLimitMax, options.RateLimitInterval, 0, options.RateLimitDaily, options.RateLimitDailyWindow, TimeSpan.FromSeconds(5));
        for (var i = 0; i < 5; i++)
        {
            Assert.That((await store.ReserveAsync(options.AppId, location, budget, null, CancellationToken.None)).Granted, Is.True);
        }

        var served = new List<string>();
        var background = Task.Run(async () =>
        {
            await limiter.AcquireAsync(location, share, CancellationToken.None);
            lock (served)
            {
                served.Add("background");
            }
        });

        // The background reader asks first; a live call comes a moment later.
        await Task.Delay(300);
        await limiter.AcquireAsync(location, CancellationToken.None);
        lock (served)
        {
            served.Add("live");
        }

        await background;

        Assert.That(served, Is.EqualTo(new[] { first, second }));
    }
}
