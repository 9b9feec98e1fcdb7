using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What every provider's shared rate-limit state does.</summary>
public abstract class Rate_limit_contract : StorageFixture
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private IRateLimitStore RateLimits => Get<IRateLimitStore>();

    [Test]
    public async Task Should_grant_permits_up_to_the_limit_of_a_window()
    {
        var location = Unique("loc");

        var decisions = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            decisions.Add((await RateLimits.TryTakeAsync("app", location, 25, 100, Window, None)).Granted);
        }

        Assert.That(decisions, Is.All.True);
    }

    [Test]
    public async Task Should_refuse_beyond_the_limit_and_say_when_the_window_ends()
    {
        var location = Unique("loc");
        await RateLimits.TryTakeAsync("app", location, 90, 100, Window, None);
        Clock.Advance(TimeSpan.FromSeconds(4));

        var refused = await RateLimits.TryTakeAsync("app", location, 11, 100, Window, None);

        Assert.That(refused, Is.EqualTo(new RateLimitDecision(false, TimeSpan.FromSeconds(6))));
    }

    [Test]
    public async Task Should_grant_what_still_fits_after_a_refusal()
    {
        var location = Unique("loc");
        await RateLimits.TryTakeAsync("app", location, 90, 100, Window, None);
        await RateLimits.TryTakeAsync("app", location, 11, 100, Window, None);

        var fits = await RateLimits.TryTakeAsync("app", location, 10, 100, Window, None);

        Assert.That(fits.Granted, Is.True);
    }

    [Test]
    public async Task Should_grant_again_in_the_next_window()
    {
        var location = Unique("loc");
        await RateLimits.TryTakeAsync("app", location, 100, 100, Window, None);
        Clock.Advance(Window);

        var next = await RateLimits.TryTakeAsync("app", location, 100, 100, Window, None);

        Assert.That(next.Granted, Is.True);
    }

    [Test]
    public async Task Should_refuse_while_blocked_and_say_until_when()
    {
        var location = Unique("loc");
        await RateLimits.BlockUntilAsync("app", location, Clock.GetUtcNow().AddSeconds(30), None);

        var refused = await RateLimits.TryTakeAsync("app", location, 1, 100, Window, None);

        Assert.That(refused, Is.EqualTo(new RateLimitDecision(false, TimeSpan.FromSeconds(30))));
    }

    [Test]
    public async Task Should_grant_once_the_block_lifts()
    {
        var location = Unique("loc");
        await RateLimits.BlockUntilAsync("app", location, Clock.GetUtcNow().AddSeconds(30), None);
        Clock.Advance(TimeSpan.FromSeconds(30));

        var granted = await RateLimits.TryTakeAsync("app", location, 1, 100, Window, None);

        Assert.That(granted.Granted, Is.True);
    }

    [Test]
    public async Task Should_only_ever_extend_a_block()
    {
        var location = Unique("loc");
        await RateLimits.BlockUntilAsync("app", location, Clock.GetUtcNow().AddSeconds(30), None);
        await RateLimits.BlockUntilAsync("app", location, Clock.GetUtcNow().AddSeconds(5), None);

        var refused = await RateLimits.TryTakeAsync("app", location, 1, 100, Window, None);

        Assert.That(refused.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public async Task Should_keep_apps_and_locations_apart()
    {
        var location = Unique("loc");
        await RateLimits.TryTakeAsync("app-a", location, 100, 100, Window, None);
        await RateLimits.BlockUntilAsync("app-a", location, Clock.GetUtcNow().AddMinutes(1), None);

        var otherApp = await RateLimits.TryTakeAsync("app-b", location, 100, 100, Window, None);
        var otherLocation = await RateLimits.TryTakeAsync("app-a", Unique("loc"), 100, 100, Window, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(otherApp.Granted, Is.True);
            Assert.That(otherLocation.Granted, Is.True);
        }
    }

    [Test]
    public void Should_refuse_to_ask_for_more_permits_than_the_limit()
    {
        Assert.That(
            async () => await RateLimits.TryTakeAsync("app", Unique("loc"), 101, 100, Window, None),
            Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task Should_space_the_slots_of_a_shared_schedule()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromMilliseconds(100);

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            waits.Add((await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1)), null, None)).Wait);
        }

        Assert.That(waits, Is.EqualTo(new[] { TimeSpan.Zero, spacing, spacing * 2 }));
    }

    [Test]
    public async Task Should_refuse_a_slot_further_away_than_the_longest_wait()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromSeconds(1);
        await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1.5)), null, None);
        await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1.5)), null, None);

        var refused = await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1.5)), null, None);

        Assert.That(refused, Is.EqualTo(new RateLimitReservation(false, TimeSpan.FromSeconds(2))));
    }

    [Test]
    public async Task Should_schedule_no_slot_before_a_block_ends()
    {
        var location = Unique("loc");
        await RateLimits.BlockUntilAsync("app", location, Clock.GetUtcNow().AddSeconds(3), None);

        var slot = await RateLimits.ReserveAsync("app", location, Spaced(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)), null, None);

        Assert.That(slot, Is.EqualTo(new RateLimitReservation(true, TimeSpan.FromSeconds(3))));
    }

    [Test]
    public async Task Should_not_bank_idle_time_as_a_burst()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromMilliseconds(100);
        await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1)), null, None);
        Clock.Advance(TimeSpan.FromSeconds(10));

        var first = await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1)), null, None);
        var second = await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1)), null, None);

        Assert.That(new[] { first.Wait, second.Wait }, Is.EqualTo(new[] { TimeSpan.Zero, spacing }));
    }

    [Test]
    public async Task Should_space_the_slots_by_the_limits_a_process_learned()
    {
        var location = Unique("loc");
        await RateLimits.ReserveAsync("app", location, Budget(), null, None); // 100 per 10 s: the next slot 100 ms on
        var learned = new RateLimitObservation(1, TimeSpan.FromSeconds(1), null, null, Clock.GetUtcNow());
        await RateLimits.ReserveAsync("app", location, Budget(), learned, None); // learned: 1 per second

        var next = await RateLimits.ReserveAsync("app", location, Budget(), null, None);

        Assert.That(next, Is.EqualTo(new RateLimitReservation(true, TimeSpan.FromMilliseconds(1100))));
    }

    [Test]
    public async Task Should_refuse_once_the_daily_limit_is_used_and_say_when_the_window_ends()
    {
        var location = Unique("loc");
        var budget = Budget(dailyLimit: 3);
        var windowEnd = budget.DailyWindowStart(Clock.GetUtcNow()) + budget.DailyWindow;
        for (var i = 0; i < 3; i++)
        {
            await RateLimits.ReserveAsync("app", location, budget, null, None);
        }

        var refused = await RateLimits.ReserveAsync("app", location, budget, null, None);

        Assert.That(refused, Is.EqualTo(new RateLimitReservation(false, windowEnd - Clock.GetUtcNow(), DailyLimitReached: true)));
    }

    [Test]
    public async Task Should_count_the_daily_calls_the_api_reports()
    {
        var location = Unique("loc");
        var reported = new RateLimitObservation(null, null, 50, 50, Clock.GetUtcNow());

        var refused = await RateLimits.ReserveAsync("app", location, Budget(), reported, None);

        Assert.That(refused.DailyLimitReached, Is.True);
    }

    [Test]
    public async Task Should_grant_again_when_the_next_daily_window_begins()
    {
        var location = Unique("loc");
        var budget = Budget(dailyLimit: 1);
        await RateLimits.ReserveAsync("app", location, budget, null, None);
        var refused = await RateLimits.ReserveAsync("app", location, budget, null, None);
        Clock.Advance(refused.Wait);

        var granted = await RateLimits.ReserveAsync("app", location, budget, null, None);

        Assert.That(granted.Granted, Is.True);
    }

    [Test]
    public async Task Should_refuse_a_slot_that_falls_in_the_next_daily_window()
    {
        var location = Unique("loc");
        var budget = Budget(); // slots 100 ms apart
        var windowEnd = budget.DailyWindowStart(Clock.GetUtcNow()) + budget.DailyWindow;
        Clock.Advance(windowEnd - Clock.GetUtcNow() - TimeSpan.FromMilliseconds(100));
        await RateLimits.ReserveAsync("app", location, budget, null, None);

        var refused = await RateLimits.ReserveAsync("app", location, budget, null, None);

        Assert.That(refused, Is.EqualTo(new RateLimitReservation(false, TimeSpan.FromMilliseconds(100))), "it waits for the new window");
    }

    private static RateLimitBudget Spaced(TimeSpan spacing, TimeSpan maxWait) =>
        new(1, spacing, 0, int.MaxValue, TimeSpan.FromDays(1), maxWait);

    private static RateLimitBudget Budget(int dailyLimit = 200_000) =>
        new(100, TimeSpan.FromSeconds(10), 0, dailyLimit, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5));
}

[TestFixture]
public sealed class When_rate_limits_are_on_postgresql : Rate_limit_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_rate_limits_are_on_sql_server : Rate_limit_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
