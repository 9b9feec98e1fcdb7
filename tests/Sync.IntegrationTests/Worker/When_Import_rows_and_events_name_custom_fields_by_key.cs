using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Core.Webhooks;
using Sync.Storage;

namespace Sync.IntegrationTests.Worker;

/// <summary>
/// Source events (and the rows an import turns into them) name custom fields by key: the worker maps each key to the
/// location's field id through its cache of <c>GET /locations/{id}/customFields</c>, read once per TTL (3 s here) and
/// once more on a miss; a key the location does not define dead-letters the event, its reason naming the key.
/// </summary>
[TestFixture]
public sealed class When_Import_rows_and_events_name_custom_fields_by_key
{
    private const string Route = "/locations/{locationId}/customFields";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private WorkerHarness _worker = null!;
    private int _events;

    [OneTimeSetUp]
    public async Task StartWorker() =>
        _worker = await WorkerHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Sync:HoopAi:CustomFieldsCacheTtl"] = "00:00:03",
            ["Sync:DeadLetters:CollectorEnabled"] = "true",
        });

    [OneTimeTearDown]
    public async Task StopWorker() => await _worker.DisposeAsync();

    private async Task<Dictionary<string, string>> DefineAsync(string location, params string[] keys)
    {
        await _worker.InstallPrivateAsync(location);
        var defined = _worker.Sandbox.State.CustomFields.Define(location, keys.Select(k => (k, (string?)null, (string?)null)));
        return defined.ToDictionary(f => f.FieldKey["contact.".Length..], f => f.Id);
    }

    private async Task<string> UpsertAsync(string location, string email, DateTimeOffset at, object customFields)
    {
        var id = $"cf-{Interlocked.Increment(ref _events)}";
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = SourceEventReader.ContactUpserted,
            id,
            occurredAt = at,
            locationId = location,
            contact = new { email, customFields },
        });
        await _worker.PublishAsync("crm", id, SourceEventReader.ContactUpserted, location, at, body);
        return id;
    }

    private Dictionary<string, string> ValuesOf(string location, string email)
    {
        var contact = _worker.Sandbox.State.Contacts.ForLocation(location).SingleOrDefault(c => c.Email == email);
        return contact?.CustomFields.ToDictionary(f => f.Id, f => f.Value.ToString()) ?? [];
    }

    private Task<bool> EventuallyAsync(Func<bool> done) =>
        WorkerHarness.EventuallyAsync(() => Task.FromResult(done()), TimeSpan.FromSeconds(30));

    [Test]
    public async Task Should_set_the_fields_named_by_key_under_their_ids()
    {
        const string Location = "CustomFieldsSet00001";
        var ids = await DefineAsync(Location, "favourite_colour", "score", "interests");

        await UpsertAsync(Location, "jo@example.com", Start,
            new Dictionary<string, object> { ["favourite_colour"] = "blue", ["Contact.Score"] = 7, ["interests"] = new[] { "golf", "chess" } });

        Assert.That(await EventuallyAsync(() => ValuesOf(Location, "jo@example.com").Count == 3), Is.True, "the three values reached the sandbox");
        Assert.That(ValuesOf(Location, "jo@example.com"), Is.EquivalentTo(new Dictionary<string, string>
        {
            [ids["favourite_colour"]] = "blue",
            [ids["score"]] = "7",
            [ids["interests"]] = """["golf","chess"]""",
        }));
    }

    [Test]
    public async Task Should_also_take_a_fields_id_in_place_of_its_key()
    {
        const string Location = "CustomFieldsById0001";
        var ids = await DefineAsync(Location, "favourite_colour");

        // As an export lists values: by the field's id.
        await UpsertAsync(Location, "byid@example.com", Start, new Dictionary<string, object> { [ids["favourite_colour"]] = "teal" });

        Assert.That(await EventuallyAsync(() => ValuesOf(Location, "byid@example.com").Count == 1), Is.True);
        Assert.That(ValuesOf(Location, "byid@example.com")[ids["favourite_colour"]], Is.EqualTo("teal"));
    }

    [Test]
    public async Task Should_not_let_an_older_event_overwrite_a_newer_value()
    {
        const string Location = "CustomFieldsOrder001";
        var ids = await DefineAsync(Location, "favourite_colour", "score");
        await UpsertAsync(Location, "late@example.com", Start.AddMinutes(5), new Dictionary<string, object> { ["favourite_colour"] = "green" });
        Assert.That(await EventuallyAsync(() => ValuesOf(Location, "late@example.com").Count == 1), Is.True);

        // Older: its colour is stale, its score (never set by a newer event) still applies.
        await UpsertAsync(Location, "late@example.com", Start, new Dictionary<string, object> { ["favourite_colour"] = "blue", ["score"] = 3 });

        Assert.That(await EventuallyAsync(() => ValuesOf(Location, "late@example.com").Count == 2), Is.True);
        Assert.That(ValuesOf(Location, "late@example.com")[ids["favourite_colour"]], Is.EqualTo("green"));
    }

    [Test]
    public async Task Should_read_the_definitions_once_per_ttl_and_once_more_on_a_miss()
    {
        const string Location = "CustomFieldsTtl00001";
        await DefineAsync(Location, "favourite_colour");
        var requests = _worker.Sandbox.State.Requests;
        var before = requests.Count(Route);

        for (var i = 0; i < 6; i++)
        {
            await UpsertAsync(Location, $"ttl{i}@example.com", Start, new Dictionary<string, object> { ["favourite_colour"] = $"c{i}" });
        }

        Assert.That(await EventuallyAsync(() => Enumerable.Range(0, 6).All(i => ValuesOf(Location, $"ttl{i}@example.com").Count == 1)), Is.True);
        var withinTtl = requests.Count(Route) - before;

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        await UpsertAsync(Location, "ttl-after@example.com", Start, new Dictionary<string, object> { ["favourite_colour"] = "late" });
        Assert.That(await EventuallyAsync(() => ValuesOf(Location, "ttl-after@example.com").Count == 1), Is.True);
        var afterTtl = requests.Count(Route) - before;

        // A field defined after the last read is found by the read a miss makes.
        _worker.Sandbox.State.CustomFields.Define(Location, [("favourite_colour", null, null), ("new_field", null, null)]);
        await UpsertAsync(Location, "ttl-new@example.com", Start, new Dictionary<string, object> { ["new_field"] = "found" });
        Assert.That(await EventuallyAsync(() => ValuesOf(Location, "ttl-new@example.com").Count == 1), Is.True, "a key defined since the last read is found");
        var afterMiss = requests.Count(Route) - before;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(withinTtl, Is.EqualTo(1), "six events within the TTL: one read");
            Assert.That(afterTtl, Is.EqualTo(2), "one more read once the TTL had passed");
            Assert.That(afterMiss, Is.EqualTo(3), "one more read for the key not yet known");
        }
    }

    [Test]
    public async Task Should_dead_letter_an_unknown_key_with_the_key_in_its_reason()
    {
        const string Location = "CustomFieldsMiss0001";
        await DefineAsync(Location, "favourite_colour");
        var eventId = await UpsertAsync(Location, "miss@example.com", Start,
            new Dictionary<string, object> { ["favourite_colour"] = "blue", ["shoe_size"] = "9" });

        var store = _worker.Services.GetRequiredService<IDeadLetterStore>();
        DeadLetter? found = null;
        var arrived = await WorkerHarness.EventuallyAsync(async () =>
        {
            var page = await store.QueryAsync(new DeadLetterFilter { LocationId = Location }, CancellationToken.None);
            found = page.Items.SingleOrDefault();
            return found is not null;
        }, TimeSpan.FromSeconds(60));

        Assert.That(arrived, Is.True, "the event was dead-lettered");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(found!.FaultMessage, Does.Contain("'shoe_size'"));
            Assert.That(found.FaultMessage, Does.Not.Contain("'favourite_colour'"));
            Assert.That(found.Classification, Is.EqualTo("permanent"));
            Assert.That(found.Body, Does.Contain(eventId));
            Assert.That(ValuesOf(Location, "miss@example.com"), Is.Empty, "nothing of the event was applied");
        }
    }
}
