using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Sync.Emitter;

/// <summary>The source event types of the contract the ingress and worker consume.</summary>
public static class SourceEventTypes
{
    /// <summary>Create or update a contact (and optionally add tags).</summary>
    public const string Upserted = "contact.upserted";

    /// <summary>Add tags to a contact.</summary>
    public const string TagsAdded = "contact.tags_added";

    /// <summary>Remove tags from a contact.</summary>
    public const string TagsRemoved = "contact.tags_removed";

    /// <summary>Delete a contact.</summary>
    public const string Deleted = "contact.deleted";
}

/// <summary>The contact part of a source event. Null fields are left out of the JSON.</summary>
public sealed record SourceContact
{
    /// <summary>The source system's id for the contact.</summary>
    public string? ExternalId { get; init; }

    /// <summary>Email.</summary>
    public string? Email { get; init; }

    /// <summary>Phone.</summary>
    public string? Phone { get; init; }

    /// <summary>First name.</summary>
    public string? FirstName { get; init; }

    /// <summary>Last name.</summary>
    public string? LastName { get; init; }

    /// <summary>Full name.</summary>
    public string? Name { get; init; }

    /// <summary>Company name.</summary>
    public string? CompanyName { get; init; }
}

/// <summary>
/// A source event, in the contract the ingress and the worker consume:
/// <c>{"type", "id", "occurredAt", "locationId", "contact": {...}, "tags"?: [...]}</c>.
/// </summary>
/// <param name="Type">One of <see cref="SourceEventTypes"/>.</param>
/// <param name="Id">The event id (also sent as <c>webhook-id</c>).</param>
/// <param name="OccurredAt">When the change happened at the source.</param>
/// <param name="LocationId">The location.</param>
/// <param name="Contact">The contact.</param>
/// <param name="Tags">Tags to add or remove (for an upsert: tags to add); null leaves the field out.</param>
public sealed record SourceEvent(string Type, string Id, DateTimeOffset OccurredAt, string LocationId, SourceContact Contact, IReadOnlyList<string>? Tags)
{
    /// <summary>The key the contact is known by in ledgers and the expected state: its email, else its phone, else its external id.</summary>
    public string ContactKey => Contact.Email ?? Contact.Phone ?? Contact.ExternalId ?? "";

    /// <summary>The JSON body, UTF-8.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", Type);
            json.WriteString("id", Id);
            json.WriteString("occurredAt", Iso(OccurredAt));
            json.WriteString("locationId", LocationId);
            json.WriteStartObject("contact");
            WriteIf(json, "externalId", Contact.ExternalId);
            WriteIf(json, "email", Contact.Email);
            WriteIf(json, "phone", Contact.Phone);
            WriteIf(json, "firstName", Contact.FirstName);
            WriteIf(json, "lastName", Contact.LastName);
            WriteIf(json, "name", Contact.Name);
            WriteIf(json, "companyName", Contact.CompanyName);
            json.WriteEndObject();
            if (Tags is not null)
            {
                json.WriteStartArray("tags");
                foreach (var tag in Tags)
                {
                    json.WriteStringValue(tag);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>This event as a delivery.</summary>
    public OutgoingWebhook ToOutgoing() => new(Id, Type, LocationId, ContactKey, ToJson());

    internal static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static void WriteIf(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}

/// <summary>
/// A platform webhook event: flat JSON with <c>type</c>, <c>locationId</c>, the entity's fields, <c>timestamp</c>,
/// <c>webhookId</c>, <c>appId</c> and <c>versionId</c>.
/// </summary>
/// <param name="Type">E.g. <c>ContactCreate</c>, <c>ContactTagUpdate</c>, <c>INSTALL</c>.</param>
/// <param name="WebhookId">The delivery's id.</param>
/// <param name="LocationId">The location.</param>
/// <param name="Timestamp">When the platform sent it.</param>
/// <param name="Fields">The entity's fields (strings, booleans or string lists), written in this order.</param>
/// <param name="AppId">The app id.</param>
/// <param name="VersionId">The app version id.</param>
public sealed record PlatformEvent(
    string Type,
    string WebhookId,
    string LocationId,
    DateTimeOffset Timestamp,
    IReadOnlyList<KeyValuePair<string, object?>> Fields,
    string AppId = PlatformEvent.DefaultAppId,
    string VersionId = "sandbox-version")
{
    /// <summary>The app id sent when none is given: the sandbox's OAuth app (and the id <c>infra/run-local.sh</c> configures).</summary>
    public const string DefaultAppId = "sandbox-app";

    /// <summary>The event's contact key (its email, else its contact id) for ledgers.</summary>
    public string ContactKey =>
        Fields.FirstOrDefault(f => f.Key == "email").Value as string ?? Fields.FirstOrDefault(f => f.Key == "id").Value as string ?? "";

    /// <summary>The JSON body, UTF-8.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", Type);
            json.WriteString("locationId", LocationId);
            foreach (var (name, value) in Fields)
            {
                switch (value)
                {
                    case null:
                        break;
                    case string text:
                        json.WriteString(name, text);
                        break;
                    case bool flag:
                        json.WriteBoolean(name, flag);
                        break;
                    case IEnumerable<string> list:
                        json.WriteStartArray(name);
                        foreach (var item in list)
                        {
                            json.WriteStringValue(item);
                        }

                        json.WriteEndArray();
                        break;
                    default:
                        json.WriteString(name, Convert.ToString(value, CultureInfo.InvariantCulture));
                        break;
                }
            }

            json.WriteString("appId", AppId);
            json.WriteString("versionId", VersionId);
            json.WriteString("timestamp", Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("webhookId", WebhookId);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>This event as a delivery.</summary>
    public OutgoingWebhook ToOutgoing() => new(WebhookId, Type, LocationId, ContactKey, ToJson());

    /// <summary>An <c>INSTALL</c> event for a location.</summary>
    public static PlatformEvent Install(string webhookId, string locationId, string companyId, DateTimeOffset timestamp, string appId = DefaultAppId) =>
        new("INSTALL", webhookId, locationId, timestamp,
        [
            new("installType", "Location"),
            new("companyId", companyId),
            new("userId", "SandboxUser000000001"),
            new("companyName", "Sandbox Agency"),
            new("isWhitelabelCompany", false),
        ], appId);

    /// <summary>An <c>UNINSTALL</c> event for a location.</summary>
    public static PlatformEvent Uninstall(string webhookId, string locationId, string companyId, DateTimeOffset timestamp, string appId = DefaultAppId) =>
        new("UNINSTALL", webhookId, locationId, timestamp, [new("companyId", companyId)], appId);

    /// <summary>A contact event (<c>ContactCreate</c>, <c>ContactUpdate</c>, <c>ContactTagUpdate</c>, <c>ContactDelete</c>).</summary>
    public static PlatformEvent ContactEvent(
        string type, string webhookId, string locationId, DateTimeOffset timestamp, string contactId,
        string? email, string? phone, string? firstName, string? lastName, IReadOnlyList<string>? tags, DateTimeOffset dateAdded,
        string appId = DefaultAppId) =>
        new(type, webhookId, locationId, timestamp,
        [
            new("id", contactId),
            new("email", email),
            new("phone", phone),
            new("firstName", firstName),
            new("lastName", lastName),
            new("tags", tags),
            new("dateAdded", dateAdded.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
        ], appId);
}

/// <summary>One webhook ready to send: its id, what it is, and the exact body bytes.</summary>
/// <param name="Id">The event id (<c>webhook-id</c> / <c>webhookId</c>).</param>
/// <param name="Type">The event type.</param>
/// <param name="LocationId">The location.</param>
/// <param name="ContactKey">The contact's key, for the ledger.</param>
/// <param name="Body">The body bytes; every send of this event sends exactly these.</param>
public sealed record OutgoingWebhook(string Id, string Type, string LocationId, string ContactKey, byte[] Body);
