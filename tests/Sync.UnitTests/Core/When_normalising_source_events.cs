using Sync.Contracts;
using Sync.Core.Events;

namespace Sync.UnitTests.Core;

public sealed class When_normalising_source_events
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static WebhookReceived Source(string type, string payload) =>
        new("crm", "evt-1", type, "loc-1", At, At.AddSeconds(1), payload);

    [Test]
    public void Should_turn_an_upsert_into_fields_and_tags_to_add()
    {
        var result = (ContactUpsertRequested)WebhookNormalizer.Normalize(Source("contact.upserted",
            """{"type":"contact.upserted","id":"evt-1","contact":{"externalId":" x-1 ","email":"Jane@Example.com","firstName":"Jane","lastName":"Smith"},"tags":["B","a"]}"""));

        Assert.Multiple(() =>
        {
            Assert.That(result.Fields, Is.EqualTo(new ContactFields { ExternalId = "x-1", Email = "jane@example.com", FirstName = "Jane", LastName = "Smith" }));
            Assert.That(result.TagsToAdd, Is.EqualTo(new[] { "a", "b" }));
            Assert.That(result.OccurredAt, Is.EqualTo(At));
        });
    }

    [Test]
    public void Should_read_custom_fields_by_key_without_the_contact_prefix()
    {
        var result = (ContactUpsertRequested)WebhookNormalizer.Normalize(Source("contact.upserted",
            """{"contact":{"email":"a@b.co","customFields":{"Contact.Favourite_Colour":"blue","score":7,"vip":true,"interests":["golf"]}}}"""));

        Assert.That(result.Fields.CustomFields!.ToDictionary(p => p.Key, p => p.Value.GetRawText()), Is.EquivalentTo(new Dictionary<string, string>
        {
            ["favourite_colour"] = "\"blue\"",
            ["score"] = "7",
            ["vip"] = "true",
            ["interests"] = "[\"golf\"]",
        }));
    }

    [Test]
    public void Should_leave_custom_fields_out_when_none_are_given() =>
        Assert.That(((ContactUpsertRequested)WebhookNormalizer.Normalize(Source("contact.upserted",
            """{"contact":{"email":"a@b.co","customFields":{}}}"""))).Fields.CustomFields, Is.Null);

    [TestCase("""{"colour":null}""")]
    [TestCase("""{"colour":{"a":1}}""")]
    [TestCase("""{" ":"x"}""")]
    public void Should_refuse_a_custom_field_that_is_not_a_value(string customFields) =>
        Assert.That(() => WebhookNormalizer.Normalize(Source("contact.upserted", $$$"""{"contact":{"email":"a@b.co","customFields":{{{customFields}}}}}""")),
            Throws.TypeOf<InvalidEventException>().With.Message.Contains("customFields"));

    [Test]
    public void Should_refuse_at_the_ingress_a_custom_field_named_twice()
    {
        var body = """{"type":"contact.upserted","id":"e","occurredAt":"2026-11-26T12:00:00Z","locationId":"l","contact":{"email":"a@b.co","customFields":{"colour":"x","contact.COLOUR":"y"}}}""";

        var result = Sync.Core.Webhooks.SourceEventReader.Read(System.Text.Encoding.UTF8.GetBytes(body));

        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Error, Does.Contain("'colour' twice"));
    }

    [Test]
    public void Should_refuse_an_upsert_that_the_api_could_not_match() =>
        Assert.That(() => WebhookNormalizer.Normalize(Source("contact.upserted", """{"contact":{"externalId":"x-1"}}""")),
            Throws.TypeOf<InvalidEventException>().With.Message.Contains("email or phone"));

    [TestCase("contact.tags_added", TagOperation.Add)]
    [TestCase("contact.tags_removed", TagOperation.Remove)]
    public void Should_turn_tag_events_into_tag_changes(string type, TagOperation operation)
    {
        var result = (ContactTagsChangeRequested)WebhookNormalizer.Normalize(Source(type, """{"contact":{"email":"a@b.co"},"tags":["VIP"," vip","Gold"]}"""));

        Assert.Multiple(() =>
        {
            Assert.That(result.Contact, Is.EqualTo(new ContactReference(null, "a@b.co", null, null)));
            Assert.That(result.Operation, Is.EqualTo(operation));
            Assert.That(result.Tags, Is.EqualTo(new[] { "gold", "vip" }));
            Assert.That(result.OccurredAt, Is.EqualTo(At));
        });
    }

    [Test]
    public void Should_refuse_a_tag_event_without_tags() =>
        Assert.That(() => WebhookNormalizer.Normalize(Source("contact.tags_added", """{"contact":{"email":"a@b.co"},"tags":[]}""")),
            Throws.TypeOf<InvalidEventException>().With.Message.Contains("tags"));

    [Test]
    public void Should_refuse_a_contact_without_any_key() =>
        Assert.That(() => WebhookNormalizer.Normalize(Source("contact.deleted", """{"contact":{"firstName":"Nobody"}}""")),
            Throws.TypeOf<InvalidEventException>().With.Message.Contains("none of email, phone, externalId"));

    [Test]
    public void Should_turn_a_delete_into_a_delete_request() =>
        Assert.That(WebhookNormalizer.Normalize(Source("contact.deleted", """{"contact":{"externalId":"x-7"}}""")),
            Is.EqualTo(new ContactDeleteRequested("evt-1", "loc-1", At, new ContactReference(null, null, null, "x-7"))));

    [Test]
    public void Should_refuse_an_unknown_source_event_type() =>
        Assert.That(() => WebhookNormalizer.Normalize(Source("contact.merged", """{"contact":{"email":"a@b.co"}}""")),
            Throws.TypeOf<InvalidEventException>().With.Message.Contains("contact.merged"));
}
