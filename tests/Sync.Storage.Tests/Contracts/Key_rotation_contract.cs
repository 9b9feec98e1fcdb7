using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What rotating the token encryption key does, on every provider.</summary>
public abstract class Key_rotation_contract : StorageFixture
{
    [Test]
    public async Task Should_read_tokens_written_under_the_old_key_after_a_new_key_becomes_active()
    {
        var installation = NewInstallation();
        await Get<IInstallationStore>().SaveAsync(installation, None);
        var rotated = WithNewActiveKey("k2");

        var read = await rotated.GetRequiredService<IInstallationStore>().GetAsync(installation.LocationId, None);

        Assert.That(read, Is.EqualTo(installation));
    }

    [Test]
    public async Task Should_reencrypt_every_token_under_the_active_key()
    {
        var installations = new[] { NewInstallation(), NewInstallation() with { RefreshToken = null } };
        foreach (var installation in installations)
        {
            await Get<IInstallationStore>().SaveAsync(installation, None);
        }

        var rotated = WithNewActiveKey("k3");
        var result = await rotated.GetRequiredService<ITokenKeyRotator>().ReencryptAllAsync(None);

        var keyIds = new List<string>();
        foreach (var installation in installations)
        {
            var rows = await QueryRawAsync<(byte[]? Access, byte[]? Refresh)>(
                "SELECT access_token, refresh_token FROM sync.installations WHERE location_id = @LocationId", new { installation.LocationId });
            keyIds.AddRange(new[] { rows.Single().Access, rows.Single().Refresh }.OfType<byte[]>().Select(KeyIdOf));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.ActiveKeyId, Is.EqualTo("k3"));
            Assert.That(result.Reencrypted, Is.GreaterThanOrEqualTo(2));
            Assert.That(keyIds, Has.Count.EqualTo(3).And.All.EqualTo("k3"));
        }
    }

    [Test]
    public async Task Should_read_reencrypted_tokens_once_the_old_key_is_gone()
    {
        var installation = NewInstallation();
        await Get<IInstallationStore>().SaveAsync(installation, None);
        var rotated = WithNewActiveKey("k4");
        await rotated.GetRequiredService<ITokenKeyRotator>().ReencryptAllAsync(None);

        var onlyNewKey = BuildServices(options =>
        {
            options.EncryptionKeys.Clear();
            options.EncryptionKeys["k4"] = Keys["k4"];
            options.ActiveKeyId = "k4";
        });
        var read = await onlyNewKey.GetRequiredService<IInstallationStore>().GetAsync(installation.LocationId, None);

        Assert.That(read, Is.EqualTo(installation));
    }

    [Test]
    public async Task Should_reencrypt_nothing_when_every_token_is_under_the_active_key()
    {
        await Get<IInstallationStore>().SaveAsync(NewInstallation(), None);
        var rotated = WithNewActiveKey("k5");
        await rotated.GetRequiredService<ITokenKeyRotator>().ReencryptAllAsync(None);

        var again = await rotated.GetRequiredService<ITokenKeyRotator>().ReencryptAllAsync(None);

        Assert.That(again.Reencrypted, Is.Zero);
    }

    private ServiceProvider WithNewActiveKey(string keyId)
    {
        Keys[keyId] = NewKey();
        return BuildServices(options => options.ActiveKeyId = keyId);
    }

    /// <summary>Reads the key id out of a ciphertext: version byte, length byte, key id.</summary>
    private static string KeyIdOf(byte[] ciphertext) => Encoding.UTF8.GetString(ciphertext, 2, ciphertext[1]);

    private Installation NewInstallation() => new(
        Unique("loc"),
        null,
        AuthMode.OAuth,
        InstallationStatus.Active,
        "access-" + Guid.NewGuid(),
        "refresh-" + Guid.NewGuid(),
        Clock.GetUtcNow().AddHours(24),
        Clock.GetUtcNow());
}

[TestFixture]
public sealed class When_token_keys_rotate_on_postgresql : Key_rotation_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_token_keys_rotate_on_sql_server : Key_rotation_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
