using Sync.Storage;

namespace Sync.Admin.Tests.Installations;

public sealed class When_rotating_a_token
{
    private AdminTestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await AdminTestDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public async Task Should_replace_the_stored_private_integration_token()
    {
        var newToken = $"pit-{Guid.NewGuid()}";
        await _database.SeedInstallationAsync("loc-rotate", accessToken: "pit-old");

        var result = await _database.RunWithInputAsync(newToken + "\n", "installations", "rotate-token", "--location", "loc-rotate");

        var stored = await _database.Installations.GetAsync("loc-rotate", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
            Assert.That(stored?.AccessToken, Is.EqualTo(newToken));
        });
    }

    [Test]
    public async Task Should_never_print_the_old_or_new_token()
    {
        var newToken = $"pit-{Guid.NewGuid()}";
        var oldToken = $"pit-{Guid.NewGuid()}";
        await _database.SeedInstallationAsync("loc-rotate-quiet", accessToken: oldToken);

        var result = await _database.RunWithInputAsync(newToken, "installations", "rotate-token", "--location", "loc-rotate-quiet");

        Assert.That(result.AllOutput, Does.Not.Contain(newToken).And.Not.Contain(oldToken));
    }

    [Test]
    public async Task Should_reactivate_a_suspended_installation()
    {
        await _database.SeedInstallationAsync("loc-suspended", status: InstallationStatus.Suspended);

        await _database.RunWithInputAsync("pit-fresh", "installations", "rotate-token", "--location", "loc-suspended");

        var stored = await _database.Installations.GetAsync("loc-suspended", CancellationToken.None);
        Assert.That(stored?.Status, Is.EqualTo(InstallationStatus.Active));
    }

    [Test]
    public async Task Should_refuse_an_oauth_installation_and_explain_why()
    {
        await _database.SeedInstallationAsync("loc-oauth-rotate", AuthMode.OAuth, accessToken: "oauth-access", refreshToken: "oauth-refresh");

        var result = await _database.RunWithInputAsync("pit-new", "installations", "rotate-token", "--location", "loc-oauth-rotate");

        var stored = await _database.Installations.GetAsync("loc-oauth-rotate", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("OAuth").And.Contain("rotates itself"));
            Assert.That(stored?.AccessToken, Is.EqualTo("oauth-access"));
        });
    }

    [Test]
    public async Task Should_refuse_an_unknown_location()
    {
        var result = await _database.RunWithInputAsync("pit-new", "installations", "rotate-token", "--location", "loc-nowhere");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("no installation"));
        });
    }

    [Test]
    public async Task Should_refuse_an_empty_token_and_keep_the_old_one()
    {
        await _database.SeedInstallationAsync("loc-rotate-empty", accessToken: "pit-kept");

        var result = await _database.RunWithInputAsync("\n", "installations", "rotate-token", "--location", "loc-rotate-empty");

        var stored = await _database.Installations.GetAsync("loc-rotate-empty", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(stored?.AccessToken, Is.EqualTo("pit-kept"));
        });
    }
}
