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

    [OneTimeSetUp]
    public async Task Refresh_two_locations_one_of_them_revoked()
    {
        _worker = await WorkerHarness.StartAsync();
        await _worker.InstallOAuthAsync(Revoked, lifetimeSeconds: 6);
        await _worker.InstallOAuthAsync(Healthy, lifetimeSeconds: 6);
        await Task.Delay(TimeSpan.FromSeconds(2)); // both within the 5 s refresh margin
        _worker.Sandbox.State.Tokens.RevokeLocation(Revoked); // its refresh token is now invalid_grant

        foreach (var location in new[] { Revoked, Healthy })
        {
            await _worker.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-{location}", DateTimeOffset.UtcNow, location,
                new SourceContact { Email = $"{location.ToLowerInvariant()}@example.com" }, []));
        }

        _settled = await WorkerHarness.EventuallyAsync(
            async () => _worker.ContactsOf(Healthy).Count == 1 && await _worker.StatusOfAsync(Revoked) == InstallationStatus.Suspended,
            TimeSpan.FromMinutes(1));
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
    public void Should_apply_the_other_location_s_event() => Assert.That(_worker.ContactsOf(Healthy), Has.Count.EqualTo(1));

    [Test]
    public async Task Should_park_the_refused_location_s_event_instead_of_dead_lettering_it()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_worker.ContactsOf(Revoked), Is.Empty);
            Assert.That(await _worker.DeadLettersAsync(), Is.Zero);
        }
    }
}
