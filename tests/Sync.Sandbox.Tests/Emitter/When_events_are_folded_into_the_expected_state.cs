using Sync.Emitter;

namespace Sync.Sandbox.Tests.Emitter;

public sealed class When_events_are_folded_into_the_expected_state
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static SourceEvent Event(string id, int second, string type, string email, string[]? tags = null, string? firstName = null) =>
        new(type, id, T0.AddSeconds(second), "L1", new SourceContact { Email = email, FirstName = firstName }, tags);

    [Test]
    public void Should_apply_events_in_the_order_they_happened_not_the_order_they_arrived()
    {
        var arrived = new[]
        {
            Event("e1", 1, SourceEventTypes.Upserted, "a@example.com", ["x"], "Ann"),
            Event("e3", 3, SourceEventTypes.TagsAdded, "a@example.com", ["y"]),
            Event("e4", 4, SourceEventTypes.Upserted, "a@example.com", firstName: "Anne"),
            Event("e2", 2, SourceEventTypes.TagsRemoved, "a@example.com", ["x"]), // late
            Event("e0", 0, SourceEventTypes.Upserted, "a@example.com", firstName: "Old"), // later still
        };

        var contact = ExpectedState.Fold(arrived).Live("L1").Single();

        Assert.That(contact.Tags, Is.EqualTo(new[] { "y" }));
        Assert.That(contact.FirstName, Is.EqualTo("Anne"));
    }

    [Test]
    public void Should_count_a_repeated_event_once()
    {
        var events = new[]
        {
            Event("e1", 1, SourceEventTypes.Upserted, "a@example.com"),
            Event("e2", 2, SourceEventTypes.TagsAdded, "a@example.com", ["y"]),
            Event("e3", 3, SourceEventTypes.TagsRemoved, "a@example.com", ["y"]),
            Event("e2", 2, SourceEventTypes.TagsAdded, "a@example.com", ["y"]),
        };

        Assert.That(ExpectedState.Fold(events).Live("L1").Single().Tags, Is.Empty);
    }

    [Test]
    public void Should_mark_a_deleted_contact_and_report_it_when_it_still_exists()
    {
        var state = ExpectedState.Fold(
        [
            Event("e1", 1, SourceEventTypes.Upserted, "gone@example.com"),
            Event("e2", 2, SourceEventTypes.Deleted, "gone@example.com"),
        ]);

        var differences = state.Diff("L1", [new ActualContact("gone@example.com", null, null, null, null, [])]);

        Assert.That(state.Live("L1"), Is.Empty);
        Assert.That(differences, Has.Count.EqualTo(1).And.Some.Contains("must be deleted"));
    }

    [Test]
    public void Should_report_missing_tags()
    {
        var state = ExpectedState.Fold([Event("e1", 1, SourceEventTypes.Upserted, "a@example.com", ["vip"])]);

        var differences = state.Diff("L1", [new ActualContact("A@example.com", null, null, null, null, [])]);

        Assert.That(differences, Has.Count.EqualTo(1).And.Some.Contains("tags"));
    }
}
