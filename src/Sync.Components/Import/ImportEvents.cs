using System.Globalization;
using System.Text;
using System.Text.Json;
using Sync.Contracts;
using Sync.Core;
using Sync.Core.Webhooks;
using Sync.Messaging.Lanes;
using Sync.Messaging.Outbox;
using Sync.Core.Events;
using Sync.Storage;

namespace Sync.Components.Import;

/// <summary>
/// Turns snapshot rows (and repairs) into source events as a webhook would bring them (<c>docs/schemas/source-event.schema.json</c>):
/// a <see cref="WebhookReceived"/> of source <see cref="Source"/> whose event id derives from the location, the row's key and its
/// canonical content (fields, custom fields and tags, sorted; never the time of the run), so importing the same file
/// again produces the same messages, which the worker's inbox drops.
/// </summary>
public static class ImportEvents
{
    /// <summary>The source name of imported and repaired events.</summary>
    public const string Source = WebhookNormalizer.ImportSource;

    /// <summary>Namespace of import event ids.</summary>
    public static readonly Guid ImportNamespace = new("6d1f2a0e-0c57-4a53-9a3e-52b1f6d1c101");

    /// <summary>A queued event: its message id, the row's line, and the outbox row that carries it.</summary>
    /// <param name="MessageId">The message id (<see cref="DeterministicId.ForWebhook"/> of the source and event id).</param>
    /// <param name="Line">The snapshot line it comes from (0 when it comes from none).</param>
    /// <param name="Row">The outbox row.</param>
    public sealed record QueuedEvent(Guid MessageId, int Line, OutboxMessage Row);

    /// <summary>The <c>contact.upserted</c> event of a snapshot row: every field it gives, its custom fields and its tags (to add).</summary>
    /// <param name="locationId">The location.</param>
    /// <param name="row">The row.</param>
    /// <param name="occurredAt">When the row's state held, if the row does not say.</param>
    /// <param name="receivedAt">Now.</param>
    public static QueuedEvent Upsert(string locationId, SnapshotRow row, DateTimeOffset occurredAt, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(row);
        return Build(locationId, SourceEventReader.ContactUpserted, row.Line, row.Key, row.Fields, row.CustomFields, row.Tags ?? [],
            row.OccurredAt ?? occurredAt, receivedAt, salt: null);
    }

    /// <summary>
    /// An event of <paramref name="type"/> (<c>contact.upserted</c>, <c>contact.tags_added</c>, <c>contact.tags_removed</c>)
    /// with the given contact fields and tags; <paramref name="salt"/> (e.g. what the CRM held) joins the id, so a
    /// repair of a new drift is a new event while a repeated repair of the same drift is not.
    /// </summary>
    public static QueuedEvent Build(
        string locationId,
        string type,
        int line,
        string key,
        IReadOnlyDictionary<string, string> fields,
        IReadOnlyDictionary<string, SnapshotValue> customFields,
        IReadOnlyList<string> tags,
        DateTimeOffset occurredAt,
        DateTimeOffset receivedAt,
        string? salt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(customFields);
        ArgumentNullException.ThrowIfNull(tags);

        var canonical = new StringBuilder(256).Append(locationId).Append('\n').Append(type).Append('\n').Append(key).Append('\n');
        foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            canonical.Append(name).Append('=').Append(Canonical(name, value)).Append('\n');
        }

        foreach (var (name, value) in customFields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            canonical.Append(SnapshotMapping.CustomFieldPrefix).Append(name).Append('=').Append(value.Kind).Append(':').Append(value.Text).Append('\n');
        }

        canonical.Append("tags=").Append(string.Join('\u001f', tags.Order(StringComparer.Ordinal))).Append('\n');
        if (salt is not null)
        {
            canonical.Append("salt=").Append(salt).Append('\n');
        }

        var eventId = $"{Source}-{DeterministicId.Create(ImportNamespace, canonical.ToString()):N}";
        var payload = Payload(type, eventId, locationId, occurredAt, fields, customFields, tags);
        var message = new WebhookReceived(Source, eventId, type, locationId, occurredAt, receivedAt, payload);
        var messageId = DeterministicId.ForWebhook(Source, eventId);
        // An import is bulk work by nature: it goes to the backlog lane, never in front of the locations' live webhooks.
        var outboxRow = OutboxSerializer.ForSend(message, WebhookLanes.BacklogDestination, messageId, receivedAt) with { LocationId = locationId };
        return new QueuedEvent(messageId, line, outboxRow);
    }

    private static string Canonical(string field, string value) => field switch
    {
        "email" => ContactKeys.NormalizeEmail(value) ?? "",
        "phone" => ContactKeys.NormalizePhone(value) ?? "",
        _ => value,
    };

    private static string Payload(
        string type, string eventId, string locationId, DateTimeOffset occurredAt,
        IReadOnlyDictionary<string, string> fields, IReadOnlyDictionary<string, SnapshotValue> customFields, IReadOnlyList<string> tags)
    {
        using var buffer = new MemoryStream(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("id", eventId);
            json.WriteString("occurredAt", occurredAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("locationId", locationId);
            json.WriteStartObject("contact");
            foreach (var (name, value) in fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                json.WriteString(name, value);
            }

            if (customFields.Count > 0)
            {
                json.WriteStartObject("customFields");
                foreach (var (name, value) in customFields.OrderBy(f => f.Key, StringComparer.Ordinal))
                {
                    switch (value.Kind)
                    {
                        case SnapshotValueKind.Number:
                            json.WritePropertyName(name);
                            json.WriteRawValue(value.Text);
                            break;
                        case SnapshotValueKind.Boolean:
                            json.WriteBoolean(name, value.Text == "true");
                            break;
                        default:
                            json.WriteString(name, value.Text);
                            break;
                    }
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            if (tags.Count > 0)
            {
                json.WriteStartArray("tags");
                foreach (var tag in tags)
                {
                    json.WriteStringValue(tag);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
