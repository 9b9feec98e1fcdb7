using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Tests.Installations;

public sealed class When_removing_an_installation
{
    private const string Removed = "loc-removed";
    private const string Kept = "loc-kept";
    private AdminTestDatabase _database = null!;
    private CliResult _result = null!;

    [OneTimeSetUp]
    public async Task SeedAndRemove()
    {
        _database = await AdminTestDatabase.CreateAsync();
        foreach (var location in new[] { Removed, Kept })
        {
            await SeedLocationAsync(location);
        }

        _result = await _database.RunAsync("installations", "remove", "--location", Removed, "--yes");
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_succeed() => Assert.That(_result.ExitCode, Is.Zero, _result.AllOutput);

    [Test]
    public async Task Should_delete_the_installation() =>
        Assert.That(await _database.Installations.GetAsync(Removed, CancellationToken.None), Is.Null);

    [Test]
    public async Task Should_delete_the_contact_index_rows() =>
        Assert.That(await ContactKeysAsync(Removed), Is.Zero);

    [Test]
    public async Task Should_delete_the_pending_outbox_rows() =>
        Assert.That(await PendingOutboxAsync(Removed), Is.Zero);

    [Test]
    public async Task Should_discard_the_open_dead_letters()
    {
        var page = await _database.Storage.GetRequiredService<IDeadLetterStore>().QueryAsync(
            new DeadLetterFilter { LocationId = Removed }, CancellationToken.None);
        Assert.That(page.Items.Select(d => d.Status), Is.EqualTo(new[] { DeadLetterStatus.Discarded }));
    }

    [Test]
    public void Should_report_what_it_removed()
    {
        Assert.Multiple(() =>
        {
            Assert.That(_result.Stdout, Does.Contain(Removed));
            Assert.That(_result.Stdout, Does.Match(@"contact index rows deleted:\s+3\b"));
            Assert.That(_result.Stdout, Does.Match(@"pending outbox rows deleted:\s+2\b"));
            Assert.That(_result.Stdout, Does.Match(@"dead letters discarded:\s+1\b"));
        });
    }

    [Test]
    public async Task Should_leave_another_locations_data_intact()
    {
        var installation = await _database.Installations.GetAsync(Kept, CancellationToken.None);
        var deadLetters = await _database.Storage.GetRequiredService<IDeadLetterStore>().QueryAsync(
            new DeadLetterFilter { LocationId = Kept }, CancellationToken.None);
        var contactKeys = await ContactKeysAsync(Kept);
        var pendingOutbox = await PendingOutboxAsync(Kept);
        Assert.Multiple(() =>
        {
            Assert.That(installation?.AccessToken, Is.EqualTo($"pit-{Kept}"));
            Assert.That(contactKeys, Is.EqualTo(2));
            Assert.That(pendingOutbox, Is.EqualTo(2));
            Assert.That(deadLetters.Items.Select(d => d.Status), Is.EqualTo(new[] { DeadLetterStatus.New }));
        });
    }

    private async Task SeedLocationAsync(string location)
    {
        await _database.SeedInstallationAsync(location, accessToken: $"pit-{location}");

        var storage = _database.Storage;
        await using (var unitOfWork = await storage.GetRequiredService<IUnitOfWorkFactory>().BeginAsync(CancellationToken.None))
        {
            await storage.GetRequiredService<IContactIndexStore>().UpsertKeysAsync(
                unitOfWork,
                location,
                [
                    new ContactKeyEntry(ContactKey.Email($"ada@{location}.example"), "contact-1"),
                    new ContactKeyEntry(ContactKey.Phone("+1 555 010 0199"), "contact-1"),
                ],
                CancellationToken.None);
            await storage.GetRequiredService<IContactIndexStore>().TryAdvanceContactAsync(
                unitOfWork, location, "contact-1", DateTimeOffset.UtcNow, CancellationToken.None);
            await storage.GetRequiredService<IOutboxStore>().EnqueueAsync(
                unitOfWork,
                [OutboxMessageFor(location), OutboxMessageFor(location)],
                CancellationToken.None);
            await unitOfWork.CommitAsync(CancellationToken.None);
        }

        await storage.GetRequiredService<IDeadLetterStore>().AddOrUpdateAsync(
            new DeadLetterFailure(
                "change-contact-tags", Guid.NewGuid().ToString(), "Sync.Contracts.ChangeContactTags", location, "{}",
                new Dictionary<string, string>(), "HoopAiApiException", "contact not found", null, "Validation", DateTimeOffset.UtcNow),
            CancellationToken.None);
    }

    private static OutboxMessage OutboxMessageFor(string location) =>
        new(Guid.NewGuid(), "Sync.Contracts.ChangeContactTags", "publish", "{}", new Dictionary<string, string>(), DateTimeOffset.UtcNow)
        {
            LocationId = location,
        };

    private Task<long> ContactKeysAsync(string location) =>
        _database.ScalarAsync<long>("SELECT count(*) FROM sync.contact_keys WHERE location_id = @location", ("location", location));

    private Task<long> PendingOutboxAsync(string location) =>
        _database.ScalarAsync<long>(
            "SELECT count(*) FROM sync.outbox WHERE location_id = @location AND sent_at IS NULL", ("location", location));
}
