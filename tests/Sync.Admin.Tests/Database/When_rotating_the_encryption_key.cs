using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Tests.Database;

public sealed class When_rotating_the_encryption_key
{
    private const string NewKeyId = "next-key";
    private readonly string _newKey = AdminTestDatabase.NewKey();
    private AdminTestDatabase _database = null!;
    private CliResult _first = null!;
    private CliResult _second = null!;

    [OneTimeSetUp]
    public async Task SeedUnderTheOldKeyAndRotate()
    {
        _database = await AdminTestDatabase.CreateAsync();
        await _database.SeedInstallationAsync("loc-key-1", accessToken: "pit-one");
        await _database.SeedInstallationAsync("loc-key-2", AuthMode.OAuth, accessToken: "oauth-two", refreshToken: "refresh-two");

        var bothKeys = new Dictionary<string, string?>(_database.Settings)
        {
            ["Sync:Storage:ActiveKeyId"] = NewKeyId,
            [$"Sync:Storage:EncryptionKeys:{NewKeyId}"] = _newKey,
        };
        _first = await AdminTestDatabase.RunWithSettingsAsync(bothKeys, "", "keys", "rotate");
        _second = await AdminTestDatabase.RunWithSettingsAsync(bothKeys, "", "keys", "rotate");
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_report_every_installation_re_encrypted()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_first.ExitCode, Is.Zero, _first.AllOutput);
            Assert.That(_first.Stdout, Does.Contain("Examined 2 installation(s); re-encrypted 2 under key 'next-key'"));
        });
    }

    [Test]
    public void Should_re_encrypt_nothing_the_second_time() =>
        Assert.That(_second.Stdout, Does.Contain("re-encrypted 0"));

    [Test]
    public async Task Should_leave_tokens_readable_with_only_the_new_key()
    {
        var onlyNewKey = new Dictionary<string, string?>
        {
            ["Sync:Storage:Provider"] = "PostgreSql",
            ["Sync:Storage:ConnectionString"] = _database.ConnectionString,
            ["Sync:Storage:ActiveKeyId"] = NewKeyId,
            [$"Sync:Storage:EncryptionKeys:{NewKeyId}"] = _newKey,
        };
        await using var storage = AdminTestDatabase.BuildStorage(onlyNewKey);
        var installations = await storage.GetRequiredService<IInstallationStore>().ListAsync(CancellationToken.None);

        Assert.That(installations.Select(i => (i.AccessToken, i.RefreshToken)),
            Is.EqualTo(new[] { ("pit-one", (string?)null), ("oauth-two", "refresh-two") }));
    }
}
