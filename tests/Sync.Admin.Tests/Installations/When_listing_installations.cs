using System.Text.Json;
using Sync.Storage;

namespace Sync.Admin.Tests.Installations;

public sealed class When_listing_installations
{
    private readonly string _privateToken = $"pit-{Guid.NewGuid()}";
    private readonly string _accessToken = $"oauth-access-{Guid.NewGuid()}";
    private readonly string _refreshToken = $"oauth-refresh-{Guid.NewGuid()}";
    private AdminTestDatabase _database = null!;
    private CliResult _table = null!;
    private CliResult _json = null!;

    [OneTimeSetUp]
    public async Task SeedAndList()
    {
        _database = await AdminTestDatabase.CreateAsync();
        await _database.SeedInstallationAsync("loc-private", accessToken: _privateToken, companyId: "company-a");
        await _database.SeedInstallationAsync(
            "loc-oauth",
            AuthMode.OAuth,
            accessToken: _accessToken,
            refreshToken: _refreshToken,
            status: InstallationStatus.Suspended,
            expiresAt: new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero),
            companyId: "company-b");

        _table = await _database.RunAsync("installations", "list");
        _json = await _database.RunAsync("installations", "list", "--json");
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_succeed() => Assert.That((_table.ExitCode, _json.ExitCode), Is.EqualTo((0, 0)), _table.AllOutput + _json.AllOutput);

    [Test]
    public void Should_show_each_installation_in_the_table()
    {
        var lines = _table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Does.StartWith("LOCATION"));
            Assert.That(lines.Single(l => l.StartsWith("loc-private", StringComparison.Ordinal)),
                Does.Contain("company-a").And.Contain("private-integration").And.Contain("Active").And.Contain("never"));
            Assert.That(lines.Single(l => l.StartsWith("loc-oauth", StringComparison.Ordinal)),
                Does.Contain("company-b").And.Contain("oauth").And.Contain("Suspended").And.Contain("2031-05-06 07:08:09"));
        });
    }

    [Test]
    public void Should_never_print_a_token()
    {
        var output = _table.AllOutput + _json.AllOutput;
        Assert.That(output, Does.Not.Contain(_privateToken).And.Not.Contain(_accessToken).And.Not.Contain(_refreshToken));
    }

    [Test]
    public void Should_write_machine_readable_json()
    {
        using var document = JsonDocument.Parse(_json.Stdout);
        var oauth = document.RootElement.EnumerateArray().Single(e => e.GetProperty("locationId").GetString() == "loc-oauth");
        Assert.Multiple(() =>
        {
            Assert.That(document.RootElement.GetArrayLength(), Is.EqualTo(2));
            Assert.That(oauth.GetProperty("companyId").GetString(), Is.EqualTo("company-b"));
            Assert.That(oauth.GetProperty("authMode").GetString(), Is.EqualTo("OAuth"));
            Assert.That(oauth.GetProperty("status").GetString(), Is.EqualTo("Suspended"));
            Assert.That(oauth.GetProperty("hasRefreshToken").GetBoolean(), Is.True);
            Assert.That(oauth.GetProperty("accessTokenExpiresAt").GetDateTimeOffset(), Is.EqualTo(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero)));
        });
    }
}
