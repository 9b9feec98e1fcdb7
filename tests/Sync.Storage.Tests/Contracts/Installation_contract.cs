using System.Security.Cryptography;
using System.Text;
using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What every provider's installation store does, tokens and refresh lease included.</summary>
public abstract class Installation_contract : StorageFixture
{
    private IInstallationStore Installations => Get<IInstallationStore>();

    [Test]
    public async Task Should_add_an_installation_only_where_none_exists()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);

        var added = await Installations.AddIfAbsentAsync(installation with { AccessToken = "other", RefreshToken = null }, None);
        var kept = await Installations.GetAsync(installation.LocationId, None);
        var fresh = await Installations.AddIfAbsentAsync(NewInstallation(), None);

        Assert.Multiple(() =>
        {
            Assert.That(added, Is.False);
            Assert.That(kept!.AccessToken, Is.EqualTo(installation.AccessToken), "the existing tokens are kept");
            Assert.That(fresh, Is.True);
        });
    }

    [Test]
    public async Task Should_return_what_was_saved_with_its_tokens_decrypted()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);

        var read = await Installations.GetAsync(installation.LocationId, None);

        Assert.That(read, Is.EqualTo(installation));
    }

    [Test]
    public async Task Should_return_null_for_a_location_never_installed()
    {
        var read = await Installations.GetAsync(Unique("loc"), None);

        Assert.That(read, Is.Null);
    }

    [Test]
    public async Task Should_replace_an_installation_saved_again()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        var refreshed = installation with
        {
            AccessToken = "access-" + Guid.NewGuid(),
            RefreshToken = "refresh-" + Guid.NewGuid(),
            AccessTokenExpiresAt = installation.AccessTokenExpiresAt!.Value.AddHours(1),
            Status = InstallationStatus.Suspended,
            UpdatedAt = installation.UpdatedAt.AddMinutes(5),
        };

        await Installations.SaveAsync(refreshed, None);
        var read = await Installations.GetAsync(installation.LocationId, None);

        Assert.That(read, Is.EqualTo(refreshed));
    }

    [Test]
    public async Task Should_keep_absent_tokens_absent()
    {
        var installation = NewInstallation() with { AuthMode = AuthMode.PrivateIntegration, RefreshToken = null, AccessTokenExpiresAt = null };
        await Installations.SaveAsync(installation, None);

        var read = await Installations.GetAsync(installation.LocationId, None);

        Assert.That(read, Is.EqualTo(installation));
    }

    [Test]
    public async Task Should_list_only_active_locations_as_active()
    {
        var active = NewInstallation();
        var suspended = NewInstallation() with { Status = InstallationStatus.Suspended };
        await Installations.SaveAsync(active, None);
        await Installations.SaveAsync(suspended, None);

        var ids = await Installations.ListActiveLocationIdsAsync(None);
        var all = await Installations.ListAsync(None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ids, Does.Contain(active.LocationId).And.Not.Contain(suspended.LocationId));
            Assert.That(all.Select(i => i.LocationId), Does.Contain(active.LocationId).And.Contain(suspended.LocationId));
        }
    }

    [Test]
    public async Task Should_never_store_a_token_in_plain_text()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);

        var rows = await QueryRawAsync<dynamic>("SELECT * FROM sync.installations WHERE location_id = @LocationId", new { installation.LocationId });
        var values = ((IDictionary<string, object?>)rows.Single()).Values.ToList();

        foreach (var secret in new[] { installation.AccessToken!, installation.RefreshToken! })
        {
            var encodings = new[]
            {
                Encoding.UTF8.GetBytes(secret), Encoding.Unicode.GetBytes(secret),
                Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret))),
            };
            foreach (var value in values)
            {
                switch (value)
                {
                    case string text:
                        Assert.That(text, Does.Not.Contain(secret));
                        break;
                    case byte[] bytes:
                        Assert.That(encodings.Any(e => bytes.AsSpan().IndexOf(e) >= 0), Is.False, "a token's bytes appear in a binary column");
                        break;
                }
            }
        }
    }

    [Test]
    public async Task Should_refuse_a_ciphertext_moved_to_another_location()
    {
        var victim = NewInstallation();
        var attacker = NewInstallation();
        await Installations.SaveAsync(victim, None);
        await Installations.SaveAsync(attacker, None);

        await ExecuteRawAsync(
            "UPDATE sync.installations SET access_token = (SELECT access_token FROM sync.installations WHERE location_id = @From) WHERE location_id = @To",
            new { From = victim.LocationId, To = attacker.LocationId });

        Assert.That(async () => await Installations.GetAsync(attacker.LocationId, None), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public async Task Should_refuse_a_ciphertext_moved_to_another_column()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);

        await ExecuteRawAsync(
            "UPDATE sync.installations SET access_token = refresh_token, refresh_token = access_token WHERE location_id = @LocationId",
            new { installation.LocationId });

        Assert.That(async () => await Installations.GetAsync(installation.LocationId, None), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public async Task Should_give_the_refresh_lease_to_one_owner_at_a_time()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);

        var first = await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-a", TimeSpan.FromSeconds(30), None);
        var second = await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-b", TimeSpan.FromSeconds(30), None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.True);
            Assert.That(second, Is.False);
        }
    }

    [Test]
    public async Task Should_let_another_owner_take_an_expired_lease()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "crashed-worker", TimeSpan.FromSeconds(30), None);
        Clock.Advance(TimeSpan.FromSeconds(30));

        var taken = await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-b", TimeSpan.FromSeconds(30), None);

        Assert.That(taken, Is.True);
    }

    [Test]
    public async Task Should_let_another_owner_take_a_released_lease()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-a", TimeSpan.FromSeconds(30), None);
        await Installations.ReleaseRefreshLeaseAsync(installation.LocationId, "worker-a", None);

        var taken = await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-b", TimeSpan.FromSeconds(30), None);

        Assert.That(taken, Is.True);
    }

    [Test]
    public async Task Should_not_release_a_lease_another_owner_holds()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-a", TimeSpan.FromSeconds(30), None);
        await Installations.ReleaseRefreshLeaseAsync(installation.LocationId, "worker-b", None);

        var taken = await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-b", TimeSpan.FromSeconds(30), None);

        Assert.That(taken, Is.False);
    }

    [Test]
    public async Task Should_keep_the_lease_when_the_installation_is_saved()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-a", TimeSpan.FromSeconds(30), None);

        await Installations.SaveAsync(installation with { AccessToken = "access-new" }, None);
        var taken = await Installations.TryAcquireRefreshLeaseAsync(installation.LocationId, "worker-b", TimeSpan.FromSeconds(30), None);

        Assert.That(taken, Is.False);
    }

    [Test]
    public async Task Should_refuse_a_lease_on_a_location_never_installed()
    {
        var taken = await Installations.TryAcquireRefreshLeaseAsync(Unique("loc"), "worker-a", TimeSpan.FromSeconds(30), None);

        Assert.That(taken, Is.False);
    }

    [Test]
    public async Task Should_delete_an_installation_only_when_the_unit_of_work_commits()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        await using (var rolledBack = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Installations.DeleteAsync(rolledBack, installation.LocationId, None);
        }

        var afterRollback = await Installations.GetAsync(installation.LocationId, None);
        await using (var committed = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Installations.DeleteAsync(committed, installation.LocationId, None);
            await committed.CommitAsync(None);
        }

        var afterCommit = await Installations.GetAsync(installation.LocationId, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterRollback, Is.Not.Null);
            Assert.That(afterCommit, Is.Null);
        }
    }

    [Test]
    public async Task Should_list_suspended_locations_among_the_installed()
    {
        var active = NewInstallation();
        var suspended = NewInstallation() with { Status = InstallationStatus.Suspended };
        await Installations.SaveAsync(active, None);
        await Installations.SaveAsync(suspended, None);

        var ids = await Installations.ListInstalledLocationIdsAsync(None);

        Assert.That(ids, Does.Contain(active.LocationId).And.Contain(suspended.LocationId));
    }

    [Test]
    public async Task Should_save_over_the_row_version_it_read()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        var read = await Installations.GetVersionedAsync(installation.LocationId, None);
        var refreshed = installation with { AccessToken = "access-new", RefreshToken = "refresh-new" };

        var saved = await Installations.TrySaveAsync(refreshed, read!.RowVersion, None);
        var stored = await Installations.GetVersionedAsync(installation.LocationId, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved, Is.True);
            Assert.That(stored!.Installation, Is.EqualTo(refreshed));
            Assert.That(stored.RowVersion, Is.GreaterThan(read.RowVersion));
        }
    }

    [Test]
    public async Task Should_not_overwrite_a_newer_row_with_a_stale_save()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        var stale = await Installations.GetVersionedAsync(installation.LocationId, None);
        var fresh = installation with { AccessToken = "access-fresh", RefreshToken = "refresh-fresh" };
        await Installations.SaveAsync(fresh, None);

        var saved = await Installations.TrySaveAsync(installation with { AccessToken = "access-spent", RefreshToken = "refresh-spent" }, stale!.RowVersion, None);
        var stored = await Installations.GetAsync(installation.LocationId, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved, Is.False);
            Assert.That(stored, Is.EqualTo(fresh));
        }
    }

    [Test]
    public async Task Should_not_bring_back_a_deleted_installation()
    {
        var installation = NewInstallation();
        await Installations.SaveAsync(installation, None);
        var read = await Installations.GetVersionedAsync(installation.LocationId, None);
        await using (var uninstall = await Get<IUnitOfWorkFactory>().BeginAsync(None))
        {
            await Installations.DeleteAsync(uninstall, installation.LocationId, None);
            await uninstall.CommitAsync(None);
        }

        var saved = await Installations.TrySaveAsync(installation with { AccessToken = "access-late" }, read!.RowVersion, None);
        var stored = await Installations.GetAsync(installation.LocationId, None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(saved, Is.False);
            Assert.That(stored, Is.Null);
        }
    }

    [Test]
    public void Should_keep_tokens_out_of_the_text_of_an_installation()
    {
        var installation = NewInstallation();

        var text = installation.ToString();

        Assert.That(text, Does.Not.Contain(installation.AccessToken).And.Not.Contain(installation.RefreshToken));
    }

    private Installation NewInstallation() => new(
        Unique("loc"),
        "company-1",
        AuthMode.OAuth,
        InstallationStatus.Active,
        "access-" + Guid.NewGuid(),
        "refresh-" + Guid.NewGuid(),
        Clock.GetUtcNow().AddHours(24),
        Clock.GetUtcNow());
}

[TestFixture]
public sealed class When_installations_are_on_postgresql : Installation_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_installations_are_on_sql_server : Installation_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
