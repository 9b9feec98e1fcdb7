using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sync.Storage.Tests.Units;

/// <summary>Start-up refuses bad storage settings with a message saying what to fix, and never prints a key.</summary>
[TestFixture]
public sealed class When_validating_storage_options
{
    private const string GoodKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // bytes 0..31

    [Test]
    public void Should_accept_good_settings_from_configuration()
    {
        var options = Resolve(Configuration(("Provider", "PostgreSql")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Provider, Is.EqualTo(DatabaseProvider.PostgreSql));
            Assert.That(options.EncryptionKeys["k1"], Is.EqualTo(GoodKey));
            Assert.That(options.MigrateOnStart, Is.True);
        }
    }

    [Test]
    public void Should_name_sql_server_the_default_provider()
    {
        var options = Resolve(Configuration(("Provider", null), ("ConnectionString", "Server=127.0.0.1,1433;Database=sync;User Id=sa;Password=x")));

        Assert.That(options.Provider, Is.EqualTo(DatabaseProvider.SqlServer));
    }

    [Test]
    public void Should_require_a_connection_string()
    {
        var message = Failure(Configuration(("ConnectionString", "")));

        Assert.That(message, Does.Contain("Sync:Storage:ConnectionString is required"));
    }

    [Test]
    public void Should_refuse_a_connection_string_the_driver_cannot_read()
    {
        var message = Failure(Configuration(("ConnectionString", "Hots=nowhere;Passwrd=secret-value")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(message, Does.Contain("is not a valid PostgreSql connection string"));
            Assert.That(message, Does.Not.Contain("secret-value"));
        }
    }

    [Test]
    public void Should_refuse_an_unknown_provider()
    {
        Assert.That(
            () => Resolve(Configuration(("Provider", "Oracle"))),
            Throws.InstanceOf<InvalidOperationException>().With.Message.Contains("Provider"));
    }

    [Test]
    public void Should_refuse_a_key_that_is_not_base64()
    {
        var message = Failure(Configuration(("EncryptionKeys:k1", "not*base64!")));

        Assert.That(message, Does.Contain("Sync:Storage:EncryptionKeys:k1 is not valid base64"));
    }

    [Test]
    public void Should_refuse_a_key_that_is_not_32_bytes()
    {
        const string shortKey = "AAECAwQFBgcICQoLDA0ODw=="; // 16 bytes
        var message = Failure(Configuration(("EncryptionKeys:k1", shortKey)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(message, Does.Contain("Sync:Storage:EncryptionKeys:k1 decodes to 16 bytes; AES-256 needs exactly 32"));
            Assert.That(message, Does.Not.Contain(shortKey));
        }
    }

    [Test]
    public void Should_refuse_an_active_key_missing_from_the_ring()
    {
        var message = Failure(Configuration(("ActiveKeyId", "k9")));

        Assert.That(message, Does.Contain("Sync:Storage:ActiveKeyId 'k9' is not among EncryptionKeys (k1)"));
    }

    [Test]
    public void Should_refuse_an_empty_key_ring()
    {
        var message = Failure(Configuration(("EncryptionKeys:k1", null), ("ActiveKeyId", null)));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(message, Does.Contain("Sync:Storage:EncryptionKeys is empty"));
            Assert.That(message, Does.Contain("Sync:Storage:ActiveKeyId is required"));
        }
    }

    [Test]
    public void Should_refuse_a_command_timeout_out_of_range()
    {
        var message = Failure(Configuration(("CommandTimeoutSeconds", "0")));

        Assert.That(message, Does.Contain("CommandTimeoutSeconds"));
    }

    [Test]
    public void Should_stop_a_host_from_starting_with_bad_settings()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSyncStorage(Configuration(("ActiveKeyId", "missing")));
        using var host = builder.Build();

        var failure = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(CancellationToken.None));

        Assert.That(failure!.Message, Does.Contain("ActiveKeyId 'missing'"));
    }

    private static IConfiguration Configuration(params (string Key, string? Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["Sync:Storage:Provider"] = "PostgreSql",
            ["Sync:Storage:ConnectionString"] = "Host=127.0.0.1;Port=5432;Username=sync;Password=sync;Database=sync",
            ["Sync:Storage:EncryptionKeys:k1"] = GoodKey,
            ["Sync:Storage:ActiveKeyId"] = "k1",
        };
        foreach (var (key, value) in overrides)
        {
            values["Sync:Storage:" + key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values.Where(v => v.Value is not null)).Build();
    }

    private static StorageOptions Resolve(IConfiguration configuration)
    {
        var services = new ServiceCollection().AddSyncStorage(configuration).BuildServiceProvider();
        return services.GetRequiredService<IOptions<StorageOptions>>().Value;
    }

    private static string Failure(IConfiguration configuration)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Resolve(configuration));
        return failure!.Message;
    }
}
