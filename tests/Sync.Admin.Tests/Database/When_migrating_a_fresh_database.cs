using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Tests.Database;

public sealed class When_migrating_a_fresh_database
{
    private AdminTestDatabase _database = null!;
    private CliResult _listBeforeMigrating = null!;
    private CliResult _first = null!;
    private CliResult _second = null!;

    [OneTimeSetUp]
    public async Task Migrate()
    {
        _database = await AdminTestDatabase.CreateAsync(migrate: false);
        _listBeforeMigrating = await _database.RunAsync("installations", "list");
        _first = await _database.RunAsync("migrate");
        _second = await _database.RunAsync("migrate");
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_tell_other_commands_to_run_migrate_first()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_listBeforeMigrating.ExitCode, Is.EqualTo(AdminExitCodes.RuntimeFailure));
            Assert.That(_listBeforeMigrating.Stderr, Does.Contain("sync-admin migrate"));
        });
    }

    [Test]
    public void Should_apply_and_list_every_migration_on_the_first_run()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_first.ExitCode, Is.Zero, _first.AllOutput);
            Assert.That(_first.Stdout, Does.Contain("PostgreSql/0001_initial.sql"));
            Assert.That(_first.Stdout, Does.Contain("PostgreSql/0002_location_outbox_and_api_schedule.sql"));
        });
    }

    [Test]
    public async Task Should_leave_nothing_pending()
    {
        var pending = await _database.Storage.GetRequiredService<IDatabaseMigrator>().GetPendingScriptsAsync(CancellationToken.None);
        Assert.That(pending, Is.Empty);
    }

    [Test]
    public void Should_apply_nothing_on_the_second_run()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_second.ExitCode, Is.Zero, _second.AllOutput);
            Assert.That(_second.Stdout, Does.Contain("nothing to apply"));
            Assert.That(_second.Stdout, Does.Not.Contain(".sql"));
        });
    }
}
