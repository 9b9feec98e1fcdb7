using System.Text.Json;
using Sync.Contracts;
using Sync.Core.Webhooks;

namespace Sync.Core.Events;

/// <summary>
/// Turns an accepted webhook (platform or source event) into the one <see cref="SyncEvent"/> it asks for.
/// Pure: no I/O. A payload that cannot be understood raises <see cref="InvalidEventException"/>. The event type names
/// are those the ingress's readers (<see cref="PlatformEventReader"/>, <see cref="SourceEventReader"/>) accept.
/// </summary>
public static class WebhookNormalizer
{
    /// <summary>The source name of the platform's own webhooks.</summary>
    public const string PlatformSource = "hoopai";

    /// <summary>The source name of rows imported by sync-admin import (reserved: no webhook source may take it).</summary>
    public const string ImportSource = "import";

    /// <summary>Normalises one accepted webhook.</summary>
    public static SyncEvent Normalize(WebhookReceived message)
    {
        ArgumentNullException.ThrowIfNull(message);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message.Payload);
        }
        catch (JsonException ex)
        {
            throw new InvalidEventException($"Event {message.EventId}: payload is not JSON ({ex.Message}).", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidEventException($"Event {message.EventId}: payload is not a JSON object.");
            }

            return string.Equals(message.Source, PlatformSource, StringComparison.OrdinalIgnoreCase)
                ? NormalizePlatform(message, root)
                : NormalizeSource(message, root);
        }
    }

    private static SyncEvent NormalizePlatform(WebhookReceived message, JsonElement root)
    {
        var location = RequireLocation(message);
        var (id, at) = (message.EventId, message.OccurredAt);
        switch (message.EventType)
        {
            case PlatformEventReader.InstallType:
                return new AppInstalled(id, location, at, String(root, "companyId"));
            case PlatformEventReader.UninstallType:
                return new AppUninstalled(id, location, at);
            case "ContactCreate" or "ContactUpdate" or "ContactTagUpdate":
                return new PlatformContactChanged(
                    id, location, at,
                    Require(message, root, "id"),
                    ContactKeys.NormalizeEmail(String(root, "email")),
                    ContactKeys.NormalizePhone(String(root, "phone")),
                    root.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
                        ? ContactKeys.NormalizeTags(Strings(tags))
                        : null);
            case "ContactDelete":
                return new PlatformContactDeleted(id, location, at, Require(message, root, "id"));
            default:
                return new EventIgnored(id, location, at, message.EventType);
        }
    }

    private static SyncEvent NormalizeSource(WebhookReceived message, JsonElement root)
    {
        var location = RequireLocation(message);
        var (id, at) = (message.EventId, message.OccurredAt);
        if (!root.TryGetProperty("contact", out var contact) || contact.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidEventException($"Event {id} ({message.EventType}): 'contact' object is missing.");
        }

        var fields = ReadFields(contact);
        var reference = new ContactReference(null, fields.Email, fields.Phone, fields.ExternalId);
        if (fields.Email is null && fields.Phone is null && fields.ExternalId is null)
        {
            throw new InvalidEventException($"Event {id} ({message.EventType}): the contact has none of email, phone, externalId.");
        }

        var tags = root.TryGetProperty("tags", out var tagArray) && tagArray.ValueKind == JsonValueKind.Array
            ? ContactKeys.NormalizeTags(Strings(tagArray))
            : [];

        switch (message.EventType)
        {
            case SourceEventReader.ContactUpserted:
                if (fields.Email is null && fields.Phone is null)
                {
                    // The upsert matches by email or phone only: without them every delivery would create a new contact.
                    throw new InvalidEventException($"Event {id} (contact.upserted): an upsert needs the contact's email or phone.");
                }

                return new ContactUpsertRequested(id, location, at, fields, tags);
            case SourceEventReader.ContactTagsAdded or SourceEventReader.ContactTagsRemoved:
                if (tags.Count == 0)
                {
                    throw new InvalidEventException($"Event {id} ({message.EventType}): 'tags' is missing or empty.");
                }

                return new ContactTagsChangeRequested(
                    id, location, at, reference,
                    message.EventType == SourceEventReader.ContactTagsAdded ? TagOperation.Add : TagOperation.Remove,
                    tags);
            case SourceEventReader.ContactDeleted:
                return new ContactDeleteRequested(id, location, at, reference);
            default:
                throw new InvalidEventException($"Event {id}: unknown source event type '{message.EventType}'.");
        }
    }

    private static ContactFields ReadFields(JsonElement contact) => new()
    {
        Email = ContactKeys.NormalizeEmail(String(contact, "email")),
        Phone = ContactKeys.NormalizePhone(String(contact, "phone")),
        ExternalId = String(contact, "externalId") is { Length: > 0 } external ? external.Trim() : null,
        FirstName = String(contact, "firstName"),
        LastName = String(contact, "lastName"),
        Name = String(contact, "name"),
        CompanyName = String(contact, "companyName"),
        Address1 = String(contact, "address1"),
        City = String(contact, "city"),
        State = String(contact, "state"),
        PostalCode = String(contact, "postalCode"),
        Country = String(contact, "country"),
        Website = String(contact, "website"),
        Timezone = String(contact, "timezone"),
        Source = String(contact, "source"),
        CustomFields = ReadCustomFields(contact),
    };

    private static Dictionary<string, JsonElement>? ReadCustomFields(JsonElement contact)
    {
        if (!contact.TryGetProperty("customFields", out var custom) || custom.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in custom.EnumerateObject())
        {
            // The ingress refused anything else; a message replayed with an edit is checked again here.
            if (CustomFieldKeys.Normalize(property.Name) is not { } key || !CustomFieldKeys.IsValue(property.Value))
            {
                throw new InvalidEventException(
                    $"contact.customFields.{property.Name} must have a non-empty key and a string, number, boolean or array of strings as its value.");
            }

            result[key] = property.Value.Clone();
        }

        return result.Count == 0 ? null : result;
    }

    private static string RequireLocation(WebhookReceived message) =>
        string.IsNullOrWhiteSpace(message.LocationId)
            ? throw new InvalidEventException($"Event {message.EventId} ({message.EventType}): no locationId.")
            : message.LocationId;

    private static string Require(WebhookReceived message, JsonElement element, string name) =>
        String(element, name) is { Length: > 0 } value
            ? value
            : throw new InvalidEventException($"Event {message.EventId} ({message.EventType}): '{name}' is missing.");

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IEnumerable<string?> Strings(JsonElement array)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                yield return item.GetString();
            }
        }
    }
}
