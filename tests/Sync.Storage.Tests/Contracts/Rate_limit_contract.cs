using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>
/// What every provider's shared rate-limit state does. The schedule keeps the database's time, so these tests run on
/// the real clock: the fixture's hand-moved clock (a week behind) is only the process's, and must not matter. A wait is
/// measured from the database's now at the call, so it is checked against a range: at most what the schedule says, at
/// least that less the real time the calls took.
/// </summary>
public abstract class Rate_limit_contract : StorageFixture
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    // Durations cross to the database in whole milliseconds, rounded up.
    private static readonly TimeSpan Rounding = TimeSpan.FromMilliseconds(1);

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
        var since = Stopwatch.StartNew();
        await RateLimits.TryTakeAsync("app", location, 90, 100, Window, None);

        var refused = await RateLimits.TryTakeAsync("app", location, 11, 100, Window, None);

        Assert.That(refused.Granted, Is.False);
        AssertWait(refused.RetryAfter, Window, since);
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
        var window = TimeSpan.FromMilliseconds(300);
        await RateLimits.TryTakeAsync("app", location, 100, 100, window, None);
        var refused = await RateLimits.TryTakeAsync("app", location, 100, 100, window, None);
        await Task.Delay(refused.RetryAfter + TimeSpan.FromMilliseconds(20));

        var next = await RateLimits.TryTakeAsync("app", location, 100, 100, window, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Granted, Is.False, "the window is full until it ends");
            Assert.That(next.Granted, Is.True);
        }
    }

    [Test]
    public async Task Should_refuse_while_blocked_and_say_until_when()
    {
        var location = Unique("loc");
        var since = Stopwatch.StartNew();
        await RateLimits.BlockForAsync("app", location, TimeSpan.FromSeconds(30), None);

        var refused = await RateLimits.TryTakeAsync("app", location, 1, 100, Window, None);

        Assert.That(refused.Granted, Is.False);
        AssertWait(refused.RetryAfter, TimeSpan.FromSeconds(30), since);
    }

    [Test]
    public async Task Should_grant_once_the_block_lifts()
    {
        var location = Unique("loc");
        var window = TimeSpan.FromMilliseconds(100); // shorter than the block: the block is what the take waits for
        await RateLimits.BlockForAsync("app", location, TimeSpan.FromMilliseconds(300), None);
        var refused = await RateLimits.TryTakeAsync("app", location, 1, 100, window, None);
        await Task.Delay(refused.RetryAfter + TimeSpan.FromMilliseconds(20));

        var granted = await RateLimits.TryTakeAsync("app", location, 1, 100, window, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Granted, Is.False, "blocked at first");
            Assert.That(granted.Granted, Is.True);
        }
    }

    [Test]
    public async Task Should_only_ever_extend_a_block()
    {
        var location = Unique("loc");
        var since = Stopwatch.StartNew();
        await RateLimits.BlockForAsync("app", location, TimeSpan.FromSeconds(30), None);
        await RateLimits.BlockForAsync("app", location, TimeSpan.FromSeconds(5), None);

        var refused = await RateLimits.TryTakeAsync("app", location, 1, 100, Window, None);

        AssertWait(refused.RetryAfter, TimeSpan.FromSeconds(30), since);
    }

    [Test]
    public async Task Should_keep_apps_and_locations_apart()
    {
        var location = Unique("loc");
        await RateLimits.TryTakeAsync("app-a", location, 100, 100, Window, None);
        await RateLimits.BlockForAsync("app-a", location, TimeSpan.FromMinutes(1), None);

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
    public void Should_refuse_a_negative_block()
    {
        Assert.That(
            async () => await RateLimits.BlockForAsync("app", Unique("loc"), TimeSpan.FromSeconds(-1), None),
            Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public async Task Should_space_the_slots_of_a_shared_schedule()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromMilliseconds(100);

        var since = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            var slot = await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1)), null, None);

            Assert.That(slot.Granted, Is.True);
            AssertWait(slot.Wait, spacing * i, since, $"slot {i}");
        }
    }

    [Test]
    public async Task Should_refuse_a_slot_further_away_than_the_longest_wait()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromSeconds(1);
        var since = Stopwatch.StartNew();
        await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1.5)), null, None);
        await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1.5)), null, None);

        var refused = await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1.5)), null, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Granted, Is.False);
            Assert.That(refused.DailyLimitReached, Is.False);
        }

        AssertWait(refused.Wait, TimeSpan.FromSeconds(2), since);
    }

    [Test]
    public async Task Should_schedule_no_slot_before_a_block_ends()
    {
        var location = Unique("loc");
        var since = Stopwatch.StartNew();
        await RateLimits.BlockForAsync("app", location, TimeSpan.FromSeconds(3), None);

        var slot = await RateLimits.ReserveAsync("app", location, Spaced(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)), null, None);

        Assert.That(slot.Granted, Is.True);
        AssertWait(slot.Wait, TimeSpan.FromSeconds(3), since);
    }

    [Test]
    public async Task Should_not_bank_idle_time_as_a_burst()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromMilliseconds(100);
        await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1)), null, None);
        await Task.Delay(spacing * 4); // idle for four slots

        var since = Stopwatch.StartNew();
        var first = await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1)), null, None);
        var second = await RateLimits.ReserveAsync("app", location, Spaced(spacing, TimeSpan.FromSeconds(1)), null, None);

        AssertWait(first.Wait, TimeSpan.Zero, since, "first");
        AssertWait(second.Wait, spacing, since, "second");
    }

    [Test]
    public async Task Should_space_the_slots_by_the_limits_a_process_learned()
    {
        var location = Unique("loc");
        var since = Stopwatch.StartNew();
        await RateLimits.ReserveAsync("app", location, Budget(), null, None); // 100 per 10 s: the next slot 100 ms on
        var learned = new RateLimitObservation(1, TimeSpan.FromSeconds(1), null, null, Clock.GetUtcNow());
        await RateLimits.ReserveAsync("app", location, Budget(), learned, None); // learned: 1 per second

        var next = await RateLimits.ReserveAsync("app", location, Budget(), null, None);

        Assert.That(next.Granted, Is.True);
        AssertWait(next.Wait, TimeSpan.FromMilliseconds(1100), since);
    }

    [Test]
    public async Task Should_refuse_once_the_daily_limit_is_used_and_say_when_the_window_ends()
    {
        var location = Unique("loc");
        var budget = Budget(dailyLimit: 3);
        await AwayFromTheEndOfADailyWindowAsync(budget, TimeSpan.FromSeconds(5));
        var since = Stopwatch.StartNew(); // before the database reads its now: the wait is measured from a later one
        var now = await DatabaseNowAsync();
        var windowEnd = budget.DailyWindowStart(now) + budget.DailyWindow;
        for (var i = 0; i < 3; i++)
        {
            await RateLimits.ReserveAsync("app", location, budget, null, None);
        }

        var refused = await RateLimits.ReserveAsync("app", location, budget, null, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.Granted, Is.False);
            Assert.That(refused.DailyLimitReached, Is.True);
        }

        AssertWait(refused.Wait, windowEnd - now, since);
    }

    [Test]
    public async Task Should_count_the_daily_calls_the_api_reports()
    {
        var location = Unique("loc");
        await AwayFromTheEndOfADailyWindowAsync(Budget(), TimeSpan.FromSeconds(5));
        var reported = new RateLimitObservation(null, null, 50, 50, Clock.GetUtcNow());

        var refused = await RateLimits.ReserveAsync("app", location, Budget(), reported, None);

        Assert.That(refused.DailyLimitReached, Is.True);
    }

    [Test]
    public async Task Should_not_count_daily_calls_the_api_reported_in_an_earlier_daily_window()
    {
        var location = Unique("loc");
        var budget = Budget();
        var now = await AwayFromTheEndOfADailyWindowAsync(budget, TimeSpan.FromSeconds(5));
        // An answer from just before this daily window began, dated by this process's clock (a week behind the
        // database's): only its age counts.
        var age = now - budget.DailyWindowStart(now) + TimeSpan.FromSeconds(1);
        var reported = new RateLimitObservation(null, null, 50, 50, Clock.GetUtcNow() - age);

        var granted = await RateLimits.ReserveAsync("app", location, budget, reported, None);

        Assert.That(granted.Granted, Is.True);
    }

    [Test]
    public async Task Should_grant_again_when_the_next_daily_window_begins()
    {
        var location = Unique("loc");
        var budget = Budget(dailyLimit: 1) with { DailyWindow = TimeSpan.FromSeconds(2) };
        await AwayFromTheEndOfADailyWindowAsync(budget, TimeSpan.FromSeconds(1));
        await RateLimits.ReserveAsync("app", location, budget, null, None);
        var refused = await RateLimits.ReserveAsync("app", location, budget, null, None);
        await Task.Delay(refused.Wait + TimeSpan.FromMilliseconds(20));

        var granted = await RateLimits.ReserveAsync("app", location, budget, null, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.DailyLimitReached, Is.True, "refused in the first window");
            Assert.That(refused.Wait, Is.LessThanOrEqualTo(budget.DailyWindow));
            Assert.That(granted.Granted, Is.True);
        }
    }

    [Test]
    public async Task Should_refuse_a_slot_that_falls_in_the_next_daily_window()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromSeconds(1);
        var budget = new RateLimitBudget(1, spacing, 0, int.MaxValue, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
        // Reserve 0.6 s before a daily window ends: the next slot, 1 s on, falls in the next window.
        var now = await DatabaseNowAsync();
        var target = budget.DailyWindowStart(now) + budget.DailyWindow - TimeSpan.FromMilliseconds(600);
        await Task.Delay(target > now ? target - now : target + budget.DailyWindow - now);
        var since = Stopwatch.StartNew();
        var first = await RateLimits.ReserveAsync("app", location, budget, null, None);

        var refused = await RateLimits.ReserveAsync("app", location, budget, null, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Granted, Is.True);
            Assert.That(refused.Granted, Is.False, "the next slot is in the next daily window");
            Assert.That(refused.DailyLimitReached, Is.False);
        }

        AssertWait(refused.Wait, spacing, since, "it waits for the slot, in the new window");
    }

    [Test]
    public async Task Should_keep_one_schedule_for_processes_whose_clocks_are_30_s_apart()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromMilliseconds(200);
        var budget = Spaced(spacing, TimeSpan.FromSeconds(5));
        IRateLimitStore[] processes = [StoreOn(new OffsetClock(TimeSpan.FromSeconds(-15))), StoreOn(new OffsetClock(TimeSpan.FromSeconds(15)))];

        var since = Stopwatch.StartNew();
        var calls = new List<(TimeSpan Wait, TimeSpan Answered, TimeSpan Took)>();
        for (var i = 0; i < 6; i++)
        {
            var asked = since.Elapsed;
            var slot = await processes[i % 2].ReserveAsync("app", location, budget, null, None);
            Assert.That(slot.Granted, Is.True, $"slot {i} (refused, {slot.Wait} away)");
            calls.Add((slot.Wait, since.Elapsed, since.Elapsed - asked));
        }

        // Each process waits about a spacing more than the call before, in real time, whichever process made it.
        for (var i = 0; i < calls.Count; i++)
        {
            AssertWait(calls[i].Wait, spacing * i, calls[i].Answered, $"slot {i}");
        }

        // When each call is due (answered + wait, on one real clock): never closer than the spacing, less how late the
        // earlier answer may have arrived after the database read its now.
        for (var i = 1; i < calls.Count; i++)
        {
            var apart = calls[i].Answered + calls[i].Wait - (calls[i - 1].Answered + calls[i - 1].Wait);
            Assert.That(apart, Is.GreaterThanOrEqualTo(spacing - calls[i - 1].Took), $"slots {i - 1} and {i}");
        }
    }

    [Test]
    public async Task Should_block_every_process_for_the_wait_asked_whatever_the_clock_of_the_one_that_asked()
    {
        var location = Unique("loc");
        var ahead = StoreOn(new OffsetClock(TimeSpan.FromSeconds(15)));
        var behind = StoreOn(new OffsetClock(TimeSpan.FromSeconds(-15)));
        var since = Stopwatch.StartNew();
        await ahead.BlockForAsync("app", location, TimeSpan.FromSeconds(3), None);

        var slot = await behind.ReserveAsync("app", location, Spaced(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)), null, None);
        var take = await behind.TryTakeAsync("app", location, 1, 100, TimeSpan.FromSeconds(1), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(slot.Granted, Is.True);
            Assert.That(take.Granted, Is.False);
        }

        AssertWait(slot.Wait, TimeSpan.FromSeconds(3), since, "the slot");
        AssertWait(take.RetryAfter, TimeSpan.FromSeconds(3), since, "the take");
    }

    /// <summary>
    /// A wait the schedule measured from the database's now: at most <paramref name="expected"/> (measured from the
    /// start of the test's calls), at least that less the real time they have taken.
    /// </summary>
    private static void AssertWait(TimeSpan wait, TimeSpan expected, Stopwatch since, string? what = null) =>
        AssertWait(wait, expected, since.Elapsed, what);

    private static void AssertWait(TimeSpan wait, TimeSpan expected, TimeSpan elapsed, string? what) =>
        Assert.That(wait, Is.InRange(expected - elapsed - Rounding, expected + Rounding), what);

    /// <summary>The database's now (the clock the schedule keeps), read past every store.</summary>
    private async Task<DateTimeOffset> DatabaseNowAsync()
    {
        var sql = Provider == DatabaseProvider.PostgreSql ? "SELECT clock_timestamp()" : "SELECT SYSUTCDATETIME()";
        var now = (await QueryRawAsync<DateTime>(sql)).Single();
        return new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc));
    }

    /// <summary>Waits, if need be, until a daily window of <paramref name="budget"/> has at least <paramref name="room"/> left.</summary>
    private async Task<DateTimeOffset> AwayFromTheEndOfADailyWindowAsync(RateLimitBudget budget, TimeSpan room)
    {
        var now = await DatabaseNowAsync();
        var left = budget.DailyWindowStart(now) + budget.DailyWindow - now;
        if (left >= room)
        {
            return now;
        }

        await Task.Delay(left + TimeSpan.FromMilliseconds(10));
        return await DatabaseNowAsync();
    }

    /// <summary>The store of another process, on its own clock.</summary>
    private IRateLimitStore StoreOn(TimeProvider clock) => BuildServices(time: clock).GetRequiredService<IRateLimitStore>();

    private static RateLimitBudget Spaced(TimeSpan spacing, TimeSpan maxWait) =>
        new(1, spacing, 0, int.MaxValue, TimeSpan.FromDays(1), maxWait);

    private static RateLimitBudget Budget(int dailyLimit = 200_000) =>
        new(100, TimeSpan.FromSeconds(10), 0, dailyLimit, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5));

    /// <summary>The real clock, set <paramref name="offset"/> off: a process whose clock is wrong.</summary>
    private sealed class OffsetClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
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
