using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Sync.Core.Webhooks;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Events;

/// <summary>docs/schemas/source-event.schema.json and the ingress's reader must accept and refuse the same bodies.</summary>
[TestFixture]
public sealed class When_checking_source_events_against_the_schema
{
    private static readonly JsonSchema Schema =
        JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "schemas", "source-event.schema.json"));

    private static IEnumerable<TestCaseData> Bodies()
    {
        var at = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        TestCaseData Case(string name, string type, Action<JsonObject>? change = null) =>
            new TestCaseData(Encoding.UTF8.GetString(EventBodies.Source(type, "evt-1", "loc-1", at, change))).SetName(name);

        yield return Case("upsert", "contact.upserted");
        yield return Case("upsert with nulls", "contact.upserted", b => { b["tags"] = null; b["contact"]!["phone"] = null; });
        yield return Case("phone only", "contact.deleted", b => b["contact"] = new JsonObject { ["phone"] = "+15551234567" });
        yield return Case("extra properties", "contact.upserted", b => b["origin"] = "crm");
        yield return Case("tags added", "contact.tags_added");
        yield return Case("tags removed empty", "contact.tags_removed", b => b["tags"] = new JsonArray());
        yield return Case("tags added null", "contact.tags_added", b => b["tags"] = null);
        yield return Case("tags added missing", "contact.tags_added", b => b.Remove("tags"));
        yield return Case("tag not a string", "contact.upserted", b => b["tags"] = new JsonArray(1));
        yield return Case("empty tag", "contact.upserted", b => b["tags"] = new JsonArray(""));
        yield return Case("unknown type", "contact.created");
        yield return Case("no id", "contact.upserted", b => b.Remove("id"));
        yield return Case("empty id", "contact.upserted", b => b["id"] = "");
        yield return Case("long id", "contact.upserted", b => b["id"] = new string('x', 257));
        yield return Case("no location", "contact.upserted", b => b.Remove("locationId"));
        yield return Case("no contact", "contact.upserted", b => b.Remove("contact"));
        yield return Case("contact not an object", "contact.upserted", b => b["contact"] = "jane@example.com");
        yield return Case("no identifier", "contact.upserted", b => b["contact"] = new JsonObject { ["firstName"] = "Jane" });
        yield return Case("empty identifiers", "contact.upserted", b => b["contact"] = new JsonObject { ["email"] = "", ["externalId"] = null });
        yield return Case("identifier not a string", "contact.upserted", b => b["contact"] = new JsonObject { ["email"] = 5 });
        yield return Case("name not a string", "contact.upserted", b => b["contact"]!["firstName"] = 5);
        yield return Case("date without offset", "contact.upserted", b => b["occurredAt"] = "2026-11-26T12:00:00");
        yield return Case("date only", "contact.upserted", b => b["occurredAt"] = "2026-11-26");
        yield return Case("date with offset", "contact.upserted", b => b["occurredAt"] = "2026-11-26T12:00:00.123+05:30");
        yield return Case("custom fields", "contact.upserted", b => b["contact"]!["customFields"] = new JsonObject
        {
            ["favourite_colour"] = "blue", ["contact.score"] = 42, ["vip"] = true, ["interests"] = new JsonArray("golf", "chess"),
        });
        yield return Case("custom fields null", "contact.upserted", b => b["contact"]!["customFields"] = null);
        yield return Case("custom fields empty", "contact.upserted", b => b["contact"]!["customFields"] = new JsonObject());
        yield return Case("custom fields not an object", "contact.upserted", b => b["contact"]!["customFields"] = new JsonArray("blue"));
        yield return Case("custom field null value", "contact.upserted", b => b["contact"]!["customFields"] = new JsonObject { ["colour"] = null });
        yield return Case("custom field object value", "contact.upserted", b => b["contact"]!["customFields"] = new JsonObject { ["colour"] = new JsonObject() });
        yield return Case("custom field array of numbers", "contact.upserted", b => b["contact"]!["customFields"] = new JsonObject { ["colour"] = new JsonArray(1) });
        yield return Case("custom field empty key", "contact.upserted", b => b["contact"]!["customFields"] = new JsonObject { [""] = "blue" });
        yield return Case("custom field long key", "contact.upserted", b => b["contact"]!["customFields"] = new JsonObject { [new string('k', 101)] = "blue" });
        yield return Case("type not a string", "contact.upserted", b => b["type"] = 3);
    }

    [TestCaseSource(nameof(Bodies))]
    public void Should_agree_with_the_reader(string json)
    {
        using var document = JsonDocument.Parse(json);
        var schemaSays = Schema.Evaluate(document.RootElement, new EvaluationOptions { RequireFormatValidation = true }).IsValid;
        var readerSays = SourceEventReader.Read(Encoding.UTF8.GetBytes(json)).IsValid;

        Assert.That(readerSays, Is.EqualTo(schemaSays), json);
    }
}
