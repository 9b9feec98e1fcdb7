using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.HoopAi;
using Sync.HoopAi.Api;
using Sync.Storage;

namespace Sync.IntegrationTests.Failures;

/// <summary>The shared limiter over a real PostgreSQL: how long a 429 holds a location, and what its own refusals are.</summary>
[TestFixture]
public sealed class When_429s_come_without_rate_limit_headers
{
    private static readonly RateLimitSnapshot NoHeaders = new(null, null, null, null, null, null);
    private SharedScheduleRig _rig = null!;

    [OneTimeSetUp]
    public async Task Create_the_shared_schedule() =>
        _rig = await SharedScheduleRig.CreateAsync(new Dictionary<string, string?> { ["RateLimitMaxWait"] = "00:00:00" });

    [OneTimeTearDown]
    public async Task Drop()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_wait_1_2_4_8_seconds_then_the_burst_interval()
    {
        var limiter = NewProcess();
        var location = Unique();

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            waits.Add(await limiter.OnRateLimitedAsync(location, NoHeaders, CancellationToken.None));
        }

        Assert.That(waits.Select(w => w.TotalSeconds), Is.EqualTo(new double[] { 1, 2, 4, 8, 10, 10 }));
    }

    [Test]
    public async Task Should_start_again_at_one_second_after_an_answer_with_budget_left()
    {
        var limiter = NewProcess();
        var location = Unique();
        await limiter.OnRateLimitedAsync(location, NoHeaders, CancellationToken.None);
        await limiter.OnRateLimitedAsync(location, NoHeaders, CancellationToken.None);

        limiter.Observe(location, new RateLimitSnapshot(100, 99, TimeSpan.FromSeconds(10), 200_000, 199_000, null));
        var wait = await limiter.OnRateLimitedAsync(location, NoHeaders, CancellationToken.None);

        Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task Should_hold_the_location_in_every_process_and_refuse_as_throttled()
    {
        var location = Unique();
        await NewProcess().OnRateLimitedAsync(location, NoHeaders, CancellationToken.None);

        var refusal = Assert.ThrowsAsync<SyncFailureException>(async () => await NewProcess().AcquireAsync(location, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refusal!.Kind, Is.EqualTo(FailureKind.Throttled), "Sync's own refusal, not the API's 429");
            Assert.That(refusal.RetryAfter, Is.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(1)));
        }
    }

    [Test]
    public async Task Should_pace_every_process_by_the_limit_one_of_them_learned()
    {
        var location = Unique();
        var learner = NewProcess();
        learner.Observe(location, new RateLimitSnapshot(1, 0, TimeSpan.FromMinutes(1), 200_000, 199_999, null));
        await learner.AcquireAsync(location, CancellationToken.None);

        var refusal = Assert.ThrowsAsync<SyncFailureException>(async () => await NewProcess().AcquireAsync(location, CancellationToken.None));

        Assert.That(refusal!.RetryAfter, Is.GreaterThan(TimeSpan.FromSeconds(30)), "one call a minute, not the default 100 per 10 s");
    }

    [Test]
    public async Task Should_wait_for_the_daily_reset_once_the_api_reports_no_daily_calls_left()
    {
        var location = Unique();
        var reporter = NewProcess();
        reporter.Observe(location, new RateLimitSnapshot(100, 99, TimeSpan.FromSeconds(10), 50, 0, null));
        var options = _rig.Services.GetRequiredService<IOptions<HoopAiOptions>>().Value;
        var now = DateTimeOffset.UtcNow;
        var budget = new RateLimitBudget(100, TimeSpan.FromSeconds(10), 0, 200_000, options.RateLimitDailyWindow, TimeSpan.Zero);
        var reset = budget.DailyWindowStart(now) + budget.DailyWindow;

        var refusal = Assert.ThrowsAsync<SyncFailureException>(async () => await reporter.AcquireAsync(location, CancellationToken.None));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refusal!.Kind, Is.EqualTo(FailureKind.Throttled));
            Assert.That(now + refusal.RetryAfter!.Value, Is.EqualTo(reset).Within(TimeSpan.FromSeconds(5)), "until the daily window ends");
        }
    }

    // A limiter of its own stands for another worker process: only the database is shared.
    private SharedRateLimiter NewProcess() => _rig.NewProcess();

    private static string Unique() => $"loc-{Guid.NewGuid():N}";
}
