namespace Sync.Admin.Tests.Installations;

public sealed class When_removing_needs_confirmation
{
    private AdminTestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await AdminTestDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public async Task Should_refuse_without_yes_when_stdin_is_not_a_terminal()
    {
        await _database.SeedInstallationAsync("loc-piped");

        var result = await _database.RunWithInputAsync("y\n", "installations", "remove", "--location", "loc-piped");

        var stored = await _database.Installations.GetAsync("loc-piped", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("--yes"));
            Assert.That(stored, Is.Not.Null);
        });
    }

    [Test]
    public async Task Should_keep_the_installation_when_the_operator_declines()
    {
        await _database.SeedInstallationAsync("loc-declined");

        var result = await _database.RunInteractiveAsync("n\n", "installations", "remove", "--location", "loc-declined");

        var stored = await _database.Installations.GetAsync("loc-declined", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("[y/N]"));
            Assert.That(stored, Is.Not.Null);
        });
    }

    [Test]
    public async Task Should_remove_when_the_operator_confirms()
    {
        await _database.SeedInstallationAsync("loc-confirmed");

        var result = await _database.RunInteractiveAsync("y\n", "installations", "remove", "--location", "loc-confirmed");

        var stored = await _database.Installations.GetAsync("loc-confirmed", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
            Assert.That(stored, Is.Null);
        });
    }

    [Test]
    public async Task Should_refuse_an_unknown_location()
    {
        var result = await _database.RunAsync("installations", "remove", "--location", "loc-never-seen", "--yes");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("unknown location"));
        });
    }
}
