using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sync.HoopAi;
using Sync.Components.Reconcile;
using Sync.Storage;

namespace Sync.Admin.Tests.Reconcile;

/// <summary>The worker's reconcile schedule: one run per location at a time across workers, again only after the interval; its options are validated.</summary>
public sealed class When_the_worker_schedules_Reconcile
{
    private ReconcileSandbox _world = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _world = await ReconcileSandbox.StartAsync();
        await _world.SeedAsync(120, "scheduled");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _world.DisposeAsync();

    [Test]
    public async Task Should_run_a_location_once_across_two_workers_and_not_again_before_the_interval()
    {
        await using var workerA = Worker(new() { ["Sync:Reconcile:Enabled"] = "true", ["Sync:Reconcile:Interval"] = "01:00:00" });
        await using var workerB = Worker(new() { ["Sync:Reconcile:Enabled"] = "true", ["Sync:Reconcile:Interval"] = "01:00:00" });
        var settings = workerA.GetRequiredService<IOptions<ReconcileOptions>>().Value;

        var ran = await Task.WhenAll(Scheduler(workerA).RunDueAsync(settings, CancellationToken.None), Scheduler(workerB).RunDueAsync(settings, CancellationToken.None));
        var again = await Scheduler(workerA).RunDueAsync(settings, CancellationToken.None);
        var run = await workerA.GetRequiredService<IReconcileRunStore>().GetAsync(_world.LocationId, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ran.Sum(), Is.EqualTo(1));
            Assert.That(again, Is.Zero);
            Assert.That(run?.ContactsSeen, Is.EqualTo(120));
            Assert.That((await _world.Index.ListKeysAsync(_world.LocationId, CancellationToken.None)).Count, Is.EqualTo(240));
        }
    }

    [TestCase("BudgetShare", "1.5")]
    [TestCase("BudgetShare", "0")]
    [TestCase("Interval", "00:00:01")]
    public void Should_refuse_a_bad_setting_naming_it(string key, string value)
    {
        using var services = Worker(new() { [$"Sync:Reconcile:{key}"] = value });

        var failure = Assert.Throws<OptionsValidationException>(() => _ = services.GetRequiredService<IOptions<ReconcileOptions>>().Value);

        Assert.That(failure!.Message, Does.Contain(key));
    }

    [Test]
    public void Should_be_off_by_default_at_a_fifth_of_the_budget()
    {
        using var services = Worker([]);

        var settings = services.GetRequiredService<IOptions<ReconcileOptions>>().Value;

        Assert.That((settings.Enabled, settings.BudgetShare, settings.Locations.Count), Is.EqualTo((false, 0.2, 0)));
    }

    private ServiceProvider Worker(Dictionary<string, string?> reconcile)
    {
        var settings = new Dictionary<string, string?>(_world.Settings);
        foreach (var (key, value) in reconcile)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSyncStorage(configuration);
        services.AddSyncHoopAi(configuration);
        services.AddSyncHoopAiClient();
        services.AddSyncReconcileSchedule(configuration);
        return services.BuildServiceProvider();
    }

    private static ReconcileScheduler Scheduler(IServiceProvider services) =>
        services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<ReconcileScheduler>().Single();
}
