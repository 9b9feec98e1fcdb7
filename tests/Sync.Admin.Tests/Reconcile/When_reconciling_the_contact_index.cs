using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Tests.Reconcile;

/// <summary>
/// <c>sync-admin reconcile</c> after the index lost rows, contacts were added behind Sync's back, one contact's email
/// changed and some indexed contacts no longer exist: the index ends equal to the sandbox, and freshness records of
/// contacts that exist are kept.
/// </summary>
public sealed class When_reconciling_the_contact_index
{
    private ReconcileSandbox _world = null!;
    private IReadOnlyList<string> _known = [];
    private IReadOnlyList<string> _vanished = [];
    private CliResult _first = null!;
    private CliResult _second = null!;

    [OneTimeSetUp]
    public async Task ReconcileTwice()
    {
        _world = await ReconcileSandbox.StartAsync();
        _known = await _world.SeedAsync(300, "known");

        // The index as events built it: both keys of every known contact, freshness records for a third of them.
        await InUnitOfWork(async uow =>
        {
            await _world.Index.UpsertKeysAsync(uow, _world.LocationId, (await SandboxKeysAsync()).Select(k => new ContactKeyEntry(k.Key, k.ContactId)).ToList(), CancellationToken.None);
            foreach (var id in _known.Where((_, i) => i % 3 == 0))
            {
                await _world.Index.TryAdvanceContactAsync(uow, _world.LocationId, id, DateTimeOffset.UtcNow.AddMinutes(-10), CancellationToken.None);
            }

            await _world.Index.UpsertKeysAsync(uow, _world.LocationId, [new(ContactKey.ExternalId("erp-1"), _known[1])], CancellationToken.None);
        });

        // Lost: the index rows of 50 contacts (freshness records included, as a delete would).
        await InUnitOfWork(async uow =>
        {
            foreach (var id in _known.Skip(100).Take(50))
            {
                await _world.Index.DeleteContactAsync(uow, _world.LocationId, id, CancellationToken.None);
            }
        });

        // Vanished: 25 contacts the index knows that the CRM no longer holds.
        _vanished = Enumerable.Range(0, 25).Select(i => $"VanishedContact{i:D5}").ToList();
        await InUnitOfWork(async uow =>
        {
            foreach (var (id, i) in _vanished.Select((id, i) => (id, i)))
            {
                await _world.Index.UpsertKeysAsync(uow, _world.LocationId, [new(ContactKey.Email($"vanished{i}@example.com"), id)], CancellationToken.None);
                await _world.Index.TryAdvanceContactAsync(uow, _world.LocationId, id, DateTimeOffset.UtcNow.AddMinutes(-10), CancellationToken.None);
            }
        });

        // Behind Sync's back: 40 new contacts, and one contact's email changed (matched by its phone).
        await _world.SeedAsync(40, "unknown", phoneBase: 5_560_000_000);
        using (var http = new HttpClient { BaseAddress = _world.Sandbox.BaseAddress })
        {
            using var changed = await http.PostAsJsonAsync($"_sandbox/locations/{_world.LocationId}/contacts",
                new { contacts = new[] { new { email = "changed7@example.com", phone = "+15550000007" } } });
            changed.EnsureSuccessStatusCode();
        }

        _first = await _world.RunAtTerminalAsync("reconcile", "--location", _world.LocationId);
        _second = await _world.RunAsync("reconcile", "--location", _world.LocationId, "--json");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _world.DisposeAsync();

    [Test]
    public void Should_succeed() => Assert.That((_first.ExitCode, _second.ExitCode), Is.EqualTo((0, 0)), _first.AllOutput + _second.AllOutput);

    [Test]
    public async Task Should_leave_the_email_and_phone_keys_equal_to_the_sandbox()
    {
        var index = (await _world.Index.ListKeysAsync(_world.LocationId, CancellationToken.None))
            .Where(k => k.Key.Kind != ContactKeyKind.ExternalId)
            .Select(k => $"{k.Key} -> {k.ContactId}")
            .Order(StringComparer.Ordinal)
            .ToList();
        var sandbox = (await SandboxKeysAsync()).Select(k => $"{k.Key} -> {k.ContactId}").Order(StringComparer.Ordinal).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(index, Has.Count.EqualTo(sandbox.Count));
            Assert.That(index, Is.EqualTo(sandbox));
        }
    }

    [Test]
    public async Task Should_keep_the_external_ids_and_freshness_of_contacts_that_exist_and_forget_the_vanished()
    {
        var keys = await _world.Index.ListKeysAsync(_world.LocationId, CancellationToken.None);
        var versions = (await _world.Index.ListContactVersionsAsync(_world.LocationId, CancellationToken.None)).Select(v => v.ContactId).ToList();
        var expectedVersions = _known.Where((_, i) => i % 3 == 0).Where(id => !_known.Skip(100).Take(50).Contains(id)).Order(StringComparer.Ordinal).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(keys.Where(k => k.Key.Kind == ContactKeyKind.ExternalId).Select(k => (k.Key.Value, k.ContactId)), Is.EqualTo(new[] { ("erp-1", _known[1]) }));
            Assert.That(versions.Order(StringComparer.Ordinal), Is.EqualTo(expectedVersions));
            Assert.That(keys.Select(k => k.ContactId).Intersect(_vanished), Is.Empty);
        }
    }

    [Test]
    public void Should_print_what_it_changed()
    {
        using (Assert.EnterMultipleScope())
        {
            // 50 lost contacts and 40 new ones, two keys each, and the changed email: 181 keys; its old email removed.
            Assert.That(_first.Stdout, Does.Contain("340 contact(s) in the CRM").And.Contain("181 key(s) were added")
                .And.Contain("1 key(s) were removed").And.Contain("25 vanished contact(s) were forgotten"));
            Assert.That(_first.Stdout, Does.Contain("removed   Email:known7@example.com").And.Contain("and 161 more added"));
        }
    }

    [Test]
    public void Should_change_nothing_when_run_again()
    {
        var json = JsonSerializer.Deserialize<JsonElement>(_second.Stdout);

        Assert.That(
            (json.GetProperty("keysAdded").GetInt32(), json.GetProperty("keysRemoved").GetInt32(), json.GetProperty("contactsRemoved").GetInt32()),
            Is.EqualTo((0, 0, 0)));
    }

    [Test]
    public async Task Should_refuse_while_another_run_holds_the_location()
    {
        var runs = _world.Services.GetRequiredService<IReconcileRunStore>();
        Assert.That(await runs.TryAcquireAsync(_world.LocationId, "another-worker", TimeSpan.FromMinutes(1), DateTimeOffset.MaxValue, CancellationToken.None), Is.True);
        try
        {
            var result = await _world.RunAsync("reconcile", "--location", _world.LocationId);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(result.ExitCode, Is.EqualTo(2), result.AllOutput);
                Assert.That(result.Stderr, Does.Contain("already running").And.Contain("another-worker"));
            }
        }
        finally
        {
            await runs.FinishAsync(_world.LocationId, "another-worker", new ReconcileCounts(0, 0, 0, 0), null, CancellationToken.None);
        }
    }

    private async Task<List<ContactKeyEntry>> SandboxKeysAsync()
    {
        var keys = new List<ContactKeyEntry>();
        foreach (var contact in await _world.ContactsAsync())
        {
            var id = contact.GetProperty("id").GetString()!;
            if (contact.TryGetProperty("email", out var email) && email.GetString() is { Length: > 0 } e)
            {
                keys.Add(new ContactKeyEntry(ContactKey.Email(e), id));
            }

            if (contact.TryGetProperty("phone", out var phone) && phone.GetString() is { Length: > 0 } p)
            {
                keys.Add(new ContactKeyEntry(ContactKey.Phone(p), id));
            }
        }

        return keys;
    }

    private async Task InUnitOfWork(Func<IUnitOfWork, Task> work)
    {
        await using var unitOfWork = await _world.Services.GetRequiredService<IUnitOfWorkFactory>().BeginAsync(CancellationToken.None);
        await work(unitOfWork);
        await unitOfWork.CommitAsync(CancellationToken.None);
    }
}
