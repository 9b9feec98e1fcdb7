using Sync.Emitter;

namespace Sync.Sandbox.Tests.Emitter;

public sealed class When_a_workload_is_generated
{
    private static readonly WorkloadOptions Options = new() { Events = 2000, Locations = 3, ContactsPerLocation = 50, Seed = 42, RunId = "r" };

    [Test]
    public void Should_give_the_same_events_for_the_same_seed()
    {
        var start = DateTimeOffset.UnixEpoch;
        var a = WorkloadGenerator.Generate(new WorkloadOptions { Events = 300, Seed = 9, RunId = "x", Start = start });
        var b = WorkloadGenerator.Generate(new WorkloadOptions { Events = 300, Seed = 9, RunId = "x", Start = start });

        Assert.That(a.Select(e => Convert.ToBase64String(e.ToJson())), Is.EqualTo(b.Select(e => Convert.ToBase64String(e.ToJson()))));
    }

    [Test]
    public void Should_create_each_contact_with_an_upsert_and_say_nothing_after_a_delete()
    {
        var events = WorkloadGenerator.Generate(Options);

        foreach (var contact in events.GroupBy(e => (e.LocationId, e.ContactKey)))
        {
            var types = contact.Select(e => e.Type).ToArray();
            Assert.That(types[0], Is.EqualTo(SourceEventTypes.Upserted));
            var delete = Array.IndexOf(types, SourceEventTypes.Deleted);
            Assert.That(delete, Is.EqualTo(-1).Or.EqualTo(types.Length - 1));
        }
    }

    [Test]
    public void Should_spread_events_over_every_location_and_kind()
    {
        var events = WorkloadGenerator.Generate(Options);

        Assert.That(events, Has.Count.EqualTo(2000));
        Assert.That(events.Select(e => e.LocationId).Distinct().Count(), Is.EqualTo(3));
        Assert.That(events.Select(e => e.Type).Distinct(), Is.EquivalentTo(new[]
        {
            SourceEventTypes.Upserted, SourceEventTypes.TagsAdded, SourceEventTypes.TagsRemoved, SourceEventTypes.Deleted,
        }));
        Assert.That(events.Select(e => e.Id).Distinct().Count(), Is.EqualTo(2000));
    }

    [Test]
    public void Should_write_the_source_event_contract()
    {
        var e = WorkloadGenerator.Generate(new WorkloadOptions { Events = 1, Seed = 1, RunId = "c" })[0];

        using var json = System.Text.Json.JsonDocument.Parse(e.ToJson());
        var root = json.RootElement;

        Assert.That(root.GetProperty("type").GetString(), Is.EqualTo("contact.upserted"));
        Assert.That(root.GetProperty("id").GetString(), Is.EqualTo(e.Id));
        Assert.That(DateTimeOffset.Parse(root.GetProperty("occurredAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(e.OccurredAt));
        Assert.That(root.GetProperty("locationId").GetString(), Has.Length.EqualTo(20));
        Assert.That(root.GetProperty("contact").GetProperty("email").GetString(), Does.EndWith("@example.com"));
        Assert.That(root.GetProperty("contact").GetProperty("externalId").GetString(), Is.Not.Empty);
    }
}
