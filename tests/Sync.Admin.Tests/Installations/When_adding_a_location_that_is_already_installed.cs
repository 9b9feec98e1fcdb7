using Sync.Storage;

namespace Sync.Admin.Tests.Installations;

public sealed class When_adding_a_location_that_is_already_installed
{
    private AdminTestDatabase _database = null!;
    private CliResult _result = null!;

    [OneTimeSetUp]
    public async Task Add()
    {
        _database = await AdminTestDatabase.CreateAsync();
        await _database.SeedInstallationAsync("loc-taken", AuthMode.OAuth, accessToken: "existing-access", refreshToken: "existing-refresh");
        _result = await _database.RunWithInputAsync("pit-new", "installations", "add-private", "--location", "loc-taken");
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_be_a_usage_error_pointing_at_rotate_or_remove()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(_result.Stderr, Does.Contain("already installed").And.Contain("rotate-token"));
        });
    }

    [Test]
    public async Task Should_keep_the_existing_installation()
    {
        var stored = await _database.Installations.GetAsync("loc-taken", CancellationToken.None);
        Assert.That((stored?.AuthMode, stored?.AccessToken), Is.EqualTo((AuthMode.OAuth, "existing-access")));
    }
}
