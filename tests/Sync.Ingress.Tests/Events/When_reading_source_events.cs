using System.Text.Json.Nodes;
using Sync.Core.Webhooks;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Events;

[TestFixture]
public sealed class When_reading_source_events
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.FromHours(1));

    [Test]
    public void Should_read_the_envelope_of_a_valid_event()
    {
        var result = SourceEventReader.Read(EventBodies.Source("contact.upserted", "evt-1", "loc-1", At));

        Assert.Multiple(() =>
        {
            Assert.That(result.Envelope?.EventId, Is.EqualTo("evt-1"));
            Assert.That(result.Envelope?.EventType, Is.EqualTo("contact.upserted"));
            Assert.That(result.Envelope?.LocationId, Is.EqualTo("loc-1"));
            Assert.That(result.Envelope?.OccurredAt, Is.EqualTo(At));
        });
    }

    [Test]
    public void Should_refuse_an_unknown_type()
    {
        var result = SourceEventReader.Read(EventBodies.Source("contact.merged", "evt-1", "loc-1", At));

        Assert.That(result.Error, Does.Contain("type must be one of"));
    }

    [Test]
    public void Should_refuse_a_contact_without_an_identifier()
    {
        var result = SourceEventReader.Read(EventBodies.Source("contact.upserted", "evt-1", "loc-1", At,
            body => body["contact"] = new JsonObject { ["firstName"] = "Jane", ["email"] = "" }));

        Assert.That(result.Error, Does.Contain("externalId, email, phone"));
    }

    [TestCase("contact.tags_added")]
    [TestCase("contact.tags_removed")]
    public void Should_refuse_a_tag_event_with_no_tags(string type)
    {
        var result = SourceEventReader.Read(EventBodies.Source(type, "evt-1", "loc-1", At, body => body["tags"] = new JsonArray()));

        Assert.That(result.Error, Does.Contain("tags"));
    }

    [Test]
    public void Should_accept_a_deletion_without_tags()
    {
        var result = SourceEventReader.Read(EventBodies.Source("contact.deleted", "evt-1", "loc-1", At, body => body.Remove("tags")));

        Assert.That(result.IsValid, Is.True);
    }
}
