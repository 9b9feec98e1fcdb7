using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Storage;

namespace Sync.IntegrationTests.Failures;

[TestFixture]
public sealed class When_a_refresh_token_is_refused
{
    private const string Revoked = "RevokedLocation00001";
    private const string Healthy = "HealthyLocation00001";
    private WorkerHarness _worker = null!;
    private bool _settled;
    private long _deadLetters;

    [OneTimeSetUp]
    public async Task Refresh_two_locations_one_of_them_revoked()
    {
        // Parked work comes back every second here (30 s doubling by default), so it meets the suspended installation again.
        _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Sync:Redelivery:MaxSuspendedDelaySeconds"] = "1" });
        await _worker.InstallOAuthAsync(Revoked, lifetimeSeconds: 6);
        await _worker.InstallOAuthAsync(Healthy, lifetimeSeconds: 6);
        await Task.Delay(TimeSpan.FromSeconds(2)); // both within the 5 s refresh margin
        _worker.Sandbox.State.Tokens.RevokeLocation(Revoked); // its refresh token is now invalid_grant

        await PublishToBothAsync("1");
        _settled = await WorkerHarness.EventuallyAsync(
            async () => _worker.ContactsOf(Healthy).Count == 1 && await _worker.StatusOfAsync(Revoked) == InstallationStatus.Suspended,
            TimeSpan.FromMinutes(1));

        // Events that arrive once the installation is suspended are parked too.
        await PublishToBothAsync("2");
        await WorkerHarness.EventuallyAsync(() => Task.FromResult(_worker.ContactsOf(Healthy).Count == 2), TimeSpan.FromMinutes(1));

        // Give a wrongly dead-lettered message time to show; none should.
        await WorkerHarness.EventuallyAsync(async () => await _worker.DeadLettersAsync() > 0, TimeSpan.FromSeconds(5));
        _deadLetters = await _worker.DeadLettersAsync();
    }

    private async Task PublishToBothAsync(string round)
    {
        foreach (var location in new[] { Revoked, Healthy })
        {
            await _worker.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-{location}-{round}", DateTimeOffset.UtcNow, location,
                new SourceContact { Email = $"{location.ToLowerInvariant()}-{round}@example.com" }, []));
        }
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_suspend_only_the_refused_location()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_settled, Is.True);
            Assert.That(await _worker.StatusOfAsync(Revoked), Is.EqualTo(InstallationStatus.Suspended));
            Assert.That(await _worker.StatusOfAsync(Healthy), Is.EqualTo(InstallationStatus.Active));
        }
    }

    [Test]
    public void Should_apply_the_other_location_s_events() => Assert.That(_worker.ContactsOf(Healthy), Has.Count.EqualTo(2));

    [Test]
    public void Should_park_the_refused_location_s_events_instead_of_dead_lettering_them()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_worker.ContactsOf(Revoked), Is.Empty);
            Assert.That(_deadLetters, Is.Zero);
        }
    }
}
