using System.Text.Json;

namespace Sync.Admin.Tests.Database;

public sealed class When_the_configuration_comes_from_a_file
{
    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"sync-admin-{Guid.NewGuid():N}.json");
    private AdminTestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task WriteTheFile()
    {
        _database = await AdminTestDatabase.CreateAsync();
        await _database.SeedInstallationAsync("loc-from-config-file");
        var storage = new Dictionary<string, object>
        {
            ["Provider"] = "PostgreSql",
            ["ConnectionString"] = _database.ConnectionString,
            ["ActiveKeyId"] = AdminTestDatabase.KeyId,
            ["EncryptionKeys"] = new Dictionary<string, string> { [AdminTestDatabase.KeyId] = _database.Key },
        };
        await File.WriteAllTextAsync(_configFile, JsonSerializer.Serialize(new { Sync = new { Storage = storage } }));
    }

    [OneTimeTearDown]
    public async Task Cleanup()
    {
        File.Delete(_configFile);
        await _database.DisposeAsync();
    }

    [Test]
    public async Task Should_use_the_file_over_appsettings_and_the_environment()
    {
        var result = await AdminTestDatabase.RunWithSettingsAsync(null, "", "installations", "list", "--config", _configFile);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
            Assert.That(result.Stdout, Does.Contain("loc-from-config-file"));
        });
    }

    [Test]
    public async Task Should_refuse_a_missing_file_as_a_usage_error()
    {
        var result = await AdminTestDatabase.RunWithSettingsAsync(null, "", "installations", "list", "--config", _configFile + ".missing");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("does not exist"));
        });
    }

    [Test]
    public async Task Should_refuse_an_invalid_configuration_as_a_usage_error()
    {
        var settings = new Dictionary<string, string?>(_database.Settings) { ["Sync:Storage:ActiveKeyId"] = "no-such-key" };

        var result = await AdminTestDatabase.RunWithSettingsAsync(settings, "", "installations", "list");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("ActiveKeyId 'no-such-key'"));
        });
    }

    [Test]
    public async Task Should_refuse_a_value_that_is_not_of_its_type_as_a_usage_error_naming_the_key()
    {
        var settings = new Dictionary<string, string?>(_database.Settings) { ["Sync:Storage:Provider"] = "Oracle" };

        var result = await AdminTestDatabase.RunWithSettingsAsync(settings, "", "installations", "list");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError), result.AllOutput);
            Assert.That(result.Stderr, Does.Contain("Sync:Storage:Provider"));
            Assert.That(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), result.Stderr);
        });
    }
}
