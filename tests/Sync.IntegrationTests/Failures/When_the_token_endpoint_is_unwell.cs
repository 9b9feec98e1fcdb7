using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Sandbox;
using Sync.Storage;

namespace Sync.IntegrationTests.Failures;

[TestFixture(429)]
[TestFixture(503)]
public sealed class When_the_token_endpoint_is_unwell(int status)
{
    private const string Location = "TokenFaults000000001";
    private WorkerHarness _worker = null!;
    private long _faultedRefreshes;
    private InstallationStatus? _statusDuringFaults;
    private bool _applied;

    [OneTimeSetUp]
    public async Task Refresh_a_near_expiry_token_while_the_endpoint_fails()
    {
        _worker = await WorkerHarness.StartAsync();
        await _worker.InstallOAuthAsync(Location, lifetimeSeconds: 6);
        await Task.Delay(TimeSpan.FromSeconds(2)); // now within the 5 s refresh margin
        _worker.Sandbox.State.Faults.Set(new SandboxFaultOptions { OAuthErrorStatus = status });

        await _worker.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, $"evt-token-{status}", DateTimeOffset.UtcNow, Location,
            new SourceContact { Email = "token-faults@example.com" }, []));
        await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(_worker.Sandbox.State.Requests.Count("/oauth/token", status: status) > 0), TimeSpan.FromSeconds(30));
        _faultedRefreshes = _worker.Sandbox.State.Requests.Count("/oauth/token", status: status);
        _statusDuringFaults = await _worker.StatusOfAsync(Location);

        _worker.Sandbox.State.Faults.Clear();
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
    public void Should_have_met_the_faulted_token_endpoint() => Assert.That(_faultedRefreshes, Is.GreaterThan(0));

    [Test]
    public async Task Should_suspend_nothing()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_statusDuringFaults, Is.EqualTo(InstallationStatus.Active), "while the endpoint failed");
            Assert.That(await _worker.StatusOfAsync(Location), Is.EqualTo(InstallationStatus.Active), "afterwards");
        }
    }

    [Test]
    public void Should_apply_the_event_once_the_endpoint_answers() => Assert.That(_applied, Is.True);

    [Test]
    public async Task Should_dead_letter_nothing() => Assert.That(await _worker.DeadLettersAsync(), Is.Zero);
}
