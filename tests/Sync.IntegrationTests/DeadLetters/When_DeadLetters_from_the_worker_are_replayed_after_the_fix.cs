using Microsoft.Extensions.DependencyInjection;
using Sync.Emitter;
using Sync.IntegrationTests.Worker;
using Sync.Messaging.DeadLetters;
using Sync.Storage;

namespace Sync.IntegrationTests.DeadLetters;

/// <summary>
/// The real worker against the sandbox: a location whose token the API refuses (401) dead-letters its events; the
/// collector stores them; once the token is fixed, replaying the group applies every event exactly once and the
/// sandbox holds the contacts the events describe.
/// </summary>
[TestFixture]
public sealed class When_DeadLetters_from_the_worker_are_replayed_after_the_fix
{
    private const string Location = "DeadLetterLocation01";
    private const string Token = "pit-dead-letter-location-token-0001";
    private WorkerHarness _worker = null!;
    private DeadLetterOperations _operations = null!;
    private IReadOnlyList<SourceEvent> _events = null!;
    private IReadOnlyList<DeadLetter> _collected = null!;
    private ReplayResult _replay = null!;
    private ReplayResult _secondReplay = null!;

    [OneTimeSetUp]
    public async Task FailCollectFixAndReplay()
    {
        _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?> { ["Sync:DeadLetters:CollectorEnabled"] = "true" });
        _operations = ActivatorUtilities.CreateInstance<DeadLetterOperations>(
            _worker.Services, ActivatorUtilities.CreateInstance<BrokerQueueInspector>(_worker.Services));

        // The installation's token is not one the API knows: every call for the location is answered 401.
        await _worker.Services.GetRequiredService<IInstallationStore>().SaveAsync(
            new Installation(Location, null, AuthMode.PrivateIntegration, InstallationStatus.Active, Token, null, null, DateTimeOffset.UtcNow),
            CancellationToken.None);
        _events = WorkloadGenerator.Generate(new WorkloadOptions
        {
            LocationIds = [Location], ContactsPerLocation = 4, Events = 8, Seed = 11, DeletedWeight = 0, Start = DateTimeOffset.UtcNow.AddMinutes(-5),
        });
        foreach (var e in _events)
        {
            await _worker.PublishAsync(e);
        }

        // Settled: work and error queues drained, and the count of dead letters unchanged for a few seconds.
        var filter = new DeadLetterFilter { LocationId = Location };
        var history = new List<long>();
        Assert.That(await WorkerHarness.EventuallyAsync(async () =>
        {
            var status = await _operations.StatusAsync(CancellationToken.None);
            history.Add((await _operations.ListAsync(filter, CancellationToken.None)).Total);
            return status.Queues.All(q => q.Messages == 0) && history.Count >= 6 && history[^1] > 0 && history[^6] == history[^1];
        }, TimeSpan.FromSeconds(120)), "the location's failures were dead-lettered and collected");
        _collected = (await _operations.ListAsync(filter, CancellationToken.None)).Items;

        // The fix: the API now accepts the location's token.
        _worker.Sandbox.State.Tokens.RegisterPrivateToken(Location, Token);
        var groups = await _operations.GroupsAsync(filter with { Status = DeadLetterStatus.New }, CancellationToken.None);
        var ids = new List<Guid>();
        foreach (var group in groups)
        {
            ids.AddRange((await _operations.SelectAsync(filter with { Fingerprint = group.Fingerprint, Status = DeadLetterStatus.New }, CancellationToken.None)).Select(d => d.Id));
        }

        _replay = await _operations.ReplayAsync(ids, "integration-test", ratePerSecond: null, dryRun: false, progress: null, CancellationToken.None);
        _secondReplay = await _operations.ReplayAsync(ids, "integration-test", ratePerSecond: null, dryRun: false, progress: null, CancellationToken.None);

        var expected = ExpectedState.Fold(_events);
        await WorkerHarness.EventuallyAsync(() => Task.FromResult(expected.Diff(Location, _worker.ContactsOf(Location)).Count == 0), TimeSpan.FromSeconds(90));
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
    public void Should_collect_each_failed_message_once_with_its_location_and_fault()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_collected.Count(d => d.SourceQueue == "webhook-received"), Is.GreaterThan(0));
            Assert.That(_collected.Select(d => d.MessageId).Distinct().Count(), Is.EqualTo(_collected.Count));
            Assert.That(_collected, Is.All.Matches<DeadLetter>(d => d.FaultType != null && d.LocationId == Location));
        });
    }

    [Test]
    public void Should_classify_them_as_authentication_failures() =>
        Assert.That(_collected.Select(d => d.Classification).Distinct(), Is.EqualTo(new[] { "authentication" }));

    [Test]
    public void Should_replay_every_DeadLetter_once() =>
        Assert.That((_replay.Replayed, _secondReplay.Replayed), Is.EqualTo((_collected.Count, 0)));

    [Test]
    public void Should_leave_the_sandbox_with_the_contacts_the_events_describe()
    {
        var expected = ExpectedState.Fold(_events);
        Assert.That(expected.Diff(Location, _worker.ContactsOf(Location)), Is.Empty);
    }

    [Test]
    public async Task Should_not_dead_letter_the_replays_again()
    {
        await Task.Delay(TimeSpan.FromSeconds(2));
        var page = await _operations.ListAsync(new DeadLetterFilter { LocationId = Location }, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(page.Total, Is.EqualTo(_collected.Count));
            Assert.That(page.Items, Is.All.Matches<DeadLetter>(d => d.Status == DeadLetterStatus.Replayed && d.ReplayOf == null));
        });
    }
}
