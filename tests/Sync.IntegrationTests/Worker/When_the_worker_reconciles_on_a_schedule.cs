using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.IntegrationTests.Worker;

/// <summary>
/// With <c>Sync:Reconcile:Enabled</c>, a running worker rebuilds the contact index of an installed location from the CRM
/// on its own: contacts created behind Sync's back end up in the index, and the run is recorded.
/// </summary>
[TestFixture]
public sealed class When_the_worker_reconciles_on_a_schedule
{
    private const string Location = "ReconcileSchedule001";
    private WorkerHarness _worker = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Sync:Reconcile:Enabled"] = "true",
            ["Sync:Reconcile:PollInterval"] = "00:00:01",
            ["Sync:Reconcile:SettleTime"] = "00:00:00",
            ["Sync:Reconcile:Interval"] = "01:00:00",
        });
        using var http = new HttpClient { BaseAddress = _worker.Sandbox.BaseAddress };
        using var seed = await http.PostAsJsonAsync($"_sandbox/locations/{Location}/contacts",
            new { contacts = Enumerable.Range(0, 60).Select(i => new { email = $"behind{i}@example.com", phone = $"+1577000{i:D4}" }).ToArray() });
        seed.EnsureSuccessStatusCode();
        await _worker.InstallPrivateAsync(Location);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _worker.DisposeAsync();

    [Test]
    public async Task Should_add_the_contacts_the_index_never_heard_of()
    {
        var runs = _worker.Services.GetRequiredService<IReconcileRunStore>();
        var index = _worker.Services.GetRequiredService<IContactIndexStore>();

        var finished = await WorkerHarness.EventuallyAsync(
            async () => (await runs.GetAsync(Location, CancellationToken.None))?.FinishedAt is not null, TimeSpan.FromSeconds(30));

        var run = await runs.GetAsync(Location, CancellationToken.None);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(finished, Is.True, "the worker ran a reconcile of the location");
            Assert.That(run?.LastError, Is.Null);
            Assert.That(run?.ContactsSeen, Is.EqualTo(60));
            Assert.That((await index.ListKeysAsync(Location, CancellationToken.None)).Count, Is.EqualTo(120));
        }
    }
}
