using Microsoft.Extensions.DependencyInjection;
using Sync.Emitter;
using Sync.Storage;

namespace Sync.IntegrationTests.Worker;

[TestFixture]
public sealed class When_a_location_is_installed_used_and_uninstalled
{
    private const string Location = "UninstallLocation001";
    private const string Other = "KeptLocation00000001";
    private WorkerHarness _worker = null!;
    private IReadOnlyList<SourceEvent> _events = null!;

    [OneTimeSetUp]
    public async Task Install_sync_then_uninstall()
    {
        _worker = await WorkerHarness.StartAsync();
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        await _worker.PublishAsync(PlatformEvent.Install("wh-install-1", Location, "Company000000000001", start));
        Assert.That(await WorkerHarness.EventuallyAsync(
            async () => await Installations.GetAsync(Location, CancellationToken.None) is not null, TimeSpan.FromSeconds(30)),
            "INSTALL recorded the installation");

        // The OAuth callback would store the tokens; a private token stands in for them here.
        await _worker.InstallPrivateAsync(Location);
        await _worker.InstallPrivateAsync(Other);
        _events = WorkloadGenerator.Generate(new WorkloadOptions
        {
            LocationIds = [Location, Other], ContactsPerLocation = 5, Events = 40, Seed = 3, DeletedWeight = 0, Start = start.AddSeconds(1),
        });
        foreach (var e in _events)
        {
            await _worker.PublishAsync(e);
        }

        var expected = ExpectedState.Fold(_events);
        Assert.That(await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(expected.Locations.All(l => expected.Diff(l, _worker.ContactsOf(l)).Count == 0)), TimeSpan.FromSeconds(90)),
            "the events were applied before the uninstall");

        await _worker.PublishAsync(PlatformEvent.Uninstall("wh-uninstall-1", Location, "Company000000000001", DateTimeOffset.UtcNow));
        await WorkerHarness.EventuallyAsync(
            async () => await Installations.GetAsync(Location, CancellationToken.None) is null, TimeSpan.FromSeconds(30));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
    }

    private IInstallationStore Installations => _worker.Services.GetRequiredService<IInstallationStore>();

    private IContactIndexStore Index => _worker.Services.GetRequiredService<IContactIndexStore>();

    [Test]
    public async Task Should_delete_the_installation_and_its_tokens() =>
        Assert.That(await Installations.GetAsync(Location, CancellationToken.None), Is.Null);

    [Test]
    public async Task Should_forget_the_location_s_contact_index()
    {
        var keys = _events.Where(e => e.LocationId == Location).Select(e => ContactKey.Email(e.Contact.Email!)).Distinct().ToList();

        Assert.That(await Index.FindAsync(Location, keys, CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task Should_keep_other_locations_as_they_were()
    {
        var keys = _events.Where(e => e.LocationId == Other).Select(e => ContactKey.Email(e.Contact.Email!)).Distinct().ToList();

        Assert.Multiple(async () =>
        {
            Assert.That(await Installations.GetAsync(Other, CancellationToken.None), Is.Not.Null);
            Assert.That(await Index.FindAsync(Other, keys, CancellationToken.None), Has.Count.EqualTo(keys.Count));
        });
    }

    [Test]
    public async Task Should_leave_no_pending_work_for_the_location()
    {
        await using var unitOfWork = await _worker.Services.GetRequiredService<IUnitOfWorkFactory>().BeginAsync(CancellationToken.None);

        Assert.That(await _worker.Services.GetRequiredService<IOutboxStore>().DeletePendingAsync(unitOfWork, Location, CancellationToken.None), Is.Zero);
    }
}
