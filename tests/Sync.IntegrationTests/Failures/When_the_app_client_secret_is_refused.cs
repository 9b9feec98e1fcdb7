using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Storage;

namespace Sync.IntegrationTests.Failures;

[TestFixture]
public sealed class When_the_app_client_secret_is_refused
{
    private const string Location = "ClientRefused0000001";
    private WorkerHarness _worker = null!;
    private long _refusedRefreshes;
    private InstallationStatus? _statusWhileRefused;
    private long _deadLettersWhileRefused;
    private bool _applied;

    [OneTimeSetUp]
    public async Task Refresh_after_the_secret_was_rotated_elsewhere()
    {
        _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Sync:HoopAi:ClientCredentialsRetry"] = "00:00:02" });
        await _worker.InstallOAuthAsync(Location, lifetimeSeconds: 6);
        await Task.Delay(TimeSpan.FromSeconds(2)); // within the 5 s refresh margin
        _worker.Sandbox.State.Tokens.ChangeClientSecret("sandbox-client", "rotated-in-the-marketplace");

        await _worker.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, "evt-client-refused", DateTimeOffset.UtcNow, Location,
            new SourceContact { Email = "client-refused@example.com" }, []));

        // Refused, waited, tried again and refused again: the condition held across attempts.
        await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(_worker.Sandbox.State.Requests.Count("/oauth/token", status: 401) >= 2), TimeSpan.FromSeconds(45));
        _refusedRefreshes = _worker.Sandbox.State.Requests.Count("/oauth/token", status: 401);
        _statusWhileRefused = await _worker.StatusOfAsync(Location);
        _deadLettersWhileRefused = await _worker.DeadLettersAsync();

        _worker.Sandbox.State.Tokens.ChangeClientSecret("sandbox-client", "sandbox-secret");
        _applied = await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(_worker.ContactsOf(Location).Count == 1), TimeSpan.FromMinutes(1));
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
    public void Should_have_been_refused_more_than_once() => Assert.That(_refusedRefreshes, Is.GreaterThanOrEqualTo(2));

    [Test]
    public void Should_suspend_nothing() => Assert.That(_statusWhileRefused, Is.EqualTo(InstallationStatus.Active));

    [Test]
    public void Should_dead_letter_nothing_while_refused() => Assert.That(_deadLettersWhileRefused, Is.Zero);

    [Test]
    public void Should_apply_the_event_once_the_secret_is_accepted_again() => Assert.That(_applied, Is.True);
}
