using System.Text.Json;
using Sync.Core;
using Sync.Components.Import;

namespace Sync.UnitTests.Import;

/// <summary>The snapshot reader's rules for CSV and JSON lines, and the import event ids that make a second run a no-op.</summary>
[TestFixture]
public sealed class When_reading_a_snapshot_for_Import
{
    private string _directory = "";

    [OneTimeSetUp]
    public void Folder() => _directory = Directory.CreateTempSubdirectory("sync-snapshot-unit-").FullName;

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void Should_read_quoted_commas_quotes_and_line_breaks_with_crlf_and_keep_line_numbers()
    {
        var records = Read("q.csv", "email,companyName,tags\r\na@example.com,\"A, \"\"B\"\"\r\nC\",x;y|z\r\n\r\nb@example.com,,\r\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(records.Select(r => r.Line), Is.EqualTo(new[] { 2, 5 }));
            Assert.That(records[0].Row!.Fields["companyName"], Is.EqualTo("A, \"B\"\r\nC"));
            Assert.That(records[0].Row!.Tags, Is.EqualTo(new[] { "x", "y", "z" }));
            Assert.That(records[1].Row!.Fields.ContainsKey("companyName"), Is.False);
            Assert.That(records[1].Row!.Tags, Is.Empty);
        }
    }

    [Test]
    public void Should_reject_an_unclosed_quote_at_the_end_with_its_line()
    {
        var records = Read("open.csv", "email,firstName\na@example.com,Ann\nb@example.com,\"Bob\n");

        Assert.That(records.Select(r => (r.Line, r.Rejection)), Is.EqualTo(new (int, string?)[]
        {
            (2, null), (3, "a quoted field is not closed before the end of the file"),
        }));
    }

    [Test]
    public void Should_map_columns_by_folded_names_and_by_map_pairs()
    {
        var mapping = SnapshotMapping.Parse(["Mail=email", "Plan=customFields.plan"]);
        var records = Read("m.csv", "Mail,First Name,last_name,Plan,Updated At,junk\nA@Example.com,Ann,Lee,gold,2026-11-01T10:00:00Z,x\n", mapping);
        var row = records.Single().Row!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(row.Email, Is.EqualTo("a@example.com"));
            Assert.That((row.Fields["firstName"], row.Fields["lastName"]), Is.EqualTo(("Ann", "Lee")));
            Assert.That(row.CustomFields["plan"], Is.EqualTo(new SnapshotValue("gold", SnapshotValueKind.String)));
            Assert.That(row.OccurredAt, Is.EqualTo(DateTimeOffset.Parse("2026-11-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(row.Tags, Is.Null, "no tags column");
        }
    }

    [Test]
    public void Should_read_json_lines_with_typed_custom_fields_in_either_shape_and_reject_bad_lines()
    {
        var records = Read("j.jsonl",
            "{\"email\":\"a@example.com\",\"customFields\":{\"score\":5,\"vip\":true},\"tags\":[\"A\",\"b\"]}\n" +
            "{\"phone\":\"+1 555 0100\",\"customFields\":[{\"id\":\"plan\",\"value\":\"gold\"}]}\n" +
            "{not json\n" +
            "[1,2]\n" +
            "{\"externalId\":\"x-1\"}\n" +
            "{\"email\":\"no-at-sign\"}\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(records[0].Row!.CustomFields["score"], Is.EqualTo(new SnapshotValue("5", SnapshotValueKind.Number)));
            Assert.That(records[0].Row!.CustomFields["vip"], Is.EqualTo(new SnapshotValue("true", SnapshotValueKind.Boolean)));
            Assert.That(records[0].Row!.Tags, Is.EqualTo(new[] { "a", "b" }));
            Assert.That(records[1].Row!.Key, Is.EqualTo("phone:+15550100"));
            Assert.That(records[1].Row!.CustomFields["plan"].Text, Is.EqualTo("gold"));
            Assert.That(records.Skip(2).Select(r => (r.Line, r.Rejection!.Split(' ')[0])), Is.EqualTo(new (int, string)[]
            {
                (3, "not"), (4, "not"), (5, "only"), (6, "email"),
            }));
        }
    }

    [Test]
    public void Should_give_the_same_content_the_same_event_whatever_the_time_and_other_content_another()
    {
        var row = Read("e.csv", "email,firstName,tags\na@example.com,Ann,x;y\n").Single().Row!;
        var reordered = Read("e2.csv", "tags,firstName,email\ny|x,Ann,A@EXAMPLE.com\n").Single().Row!;
        var changed = Read("e3.csv", "email,firstName,tags\na@example.com,Anne,x;y\n").Single().Row!;
        var first = ImportEvents.Upsert("Loc1", row, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow);
        var later = ImportEvents.Upsert("Loc1", reordered, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(later.MessageId, Is.EqualTo(first.MessageId));
            Assert.That(ImportEvents.Upsert("Loc1", changed, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow).MessageId, Is.Not.EqualTo(first.MessageId));
            Assert.That(ImportEvents.Upsert("Loc2", row, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow).MessageId, Is.Not.EqualTo(first.MessageId));
        }
    }

    [Test]
    public void Should_write_a_source_event_the_contract_accepts_with_custom_fields_in_the_contact()
    {
        var row = Read("p.jsonl", "{\"email\":\"a@example.com\",\"firstName\":\"Ann\",\"customFields\":{\"score\":5},\"tags\":[\"x\"]}\n").Single().Row!;
        var queued = ImportEvents.Upsert("Loc1", row, DateTimeOffset.Parse("2026-11-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.UtcNow);
        var message = (Sync.Contracts.WebhookReceived)Sync.Messaging.Outbox.OutboxSerializer.Deserialize(queued.Row.Body, typeof(Sync.Contracts.WebhookReceived));
        var payload = JsonDocument.Parse(message.Payload).RootElement;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Sync.Core.Webhooks.SourceEventReader.Read(System.Text.Encoding.UTF8.GetBytes(message.Payload)).IsValid, Is.True, message.Payload);
            Assert.That(queued.MessageId, Is.EqualTo(DeterministicId.ForWebhook("import", message.EventId)));
            Assert.That(payload.GetProperty("contact").GetProperty("customFields").GetProperty("score").GetInt32(), Is.EqualTo(5));
            Assert.That(payload.GetProperty("occurredAt").GetString(), Is.EqualTo("2026-11-01T10:00:00.000Z"));
            Assert.That(queued.Row.LocationId, Is.EqualTo("Loc1"));
        }
    }

    private List<SnapshotRecord> Read(string name, string content, SnapshotMapping? mapping = null)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        using var reader = SnapshotReader.Open(path, null, mapping ?? SnapshotMapping.Default);
        return [.. reader.Records()];
    }
}
