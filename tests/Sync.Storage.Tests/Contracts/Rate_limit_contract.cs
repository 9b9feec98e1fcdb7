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
            waits.Add((await RateLimits.ReserveAsync("app", location, spacing, TimeSpan.FromSeconds(1), None)).Wait);
        }

        Assert.That(waits, Is.EqualTo(new[] { TimeSpan.Zero, spacing, spacing * 2 }));
    }

    [Test]
    public async Task Should_refuse_a_slot_further_away_than_the_longest_wait()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromSeconds(1);
        await RateLimits.ReserveAsync("app", location, spacing, TimeSpan.FromSeconds(1.5), None);
        await RateLimits.ReserveAsync("app", location, spacing, TimeSpan.FromSeconds(1.5), None);

        var refused = await RateLimits.ReserveAsync("app", location, spacing, TimeSpan.FromSeconds(1.5), None);

        Assert.That(refused, Is.EqualTo(new RateLimitReservation(false, TimeSpan.FromSeconds(2))));
    }

    [Test]
    public async Task Should_schedule_no_slot_before_a_block_ends()
    {
        var location = Unique("loc");
        await RateLimits.BlockUntilAsync("app", location, Clock.GetUtcNow().AddSeconds(3), None);

        var slot = await RateLimits.ReserveAsync("app", location, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), None);

        Assert.That(slot, Is.EqualTo(new RateLimitReservation(true, TimeSpan.FromSeconds(3))));
    }

    [Test]
    public async Task Should_not_bank_idle_time_as_a_burst()
    {
        var location = Unique("loc");
        var spacing = TimeSpan.FromMilliseconds(100);
        await RateLimits.ReserveAsync("app", location, spacing, TimeSpan.FromSeconds(1), None);
        Clock.Advance(TimeSpan.FromSeconds(10));

        var first = await RateLimits.ReserveAsync("app", location, spacing, TimeSpan.FromSeconds(1), None);
        var second = await RateLimits.ReserveAsync("app", location, spacing, TimeSpan.FromSeconds(1), None);

        Assert.That(new[] { first.Wait, second.Wait }, Is.EqualTo(new[] { TimeSpan.Zero, spacing }));
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
