using System.Text.Json;
using Sync.Core.Events;

namespace Sync.Core.Webhooks;

/// <summary>
/// Reads the bodies your own systems send to <c>/webhooks/sources/{name}</c>. The contract is the JSON Schema in
/// <c>docs/schemas/source-event.schema.json</c>; this reader enforces the same rules.
/// </summary>
public static class SourceEventReader
{
    /// <summary>A contact was created or changed.</summary>
    public const string ContactUpserted = "contact.upserted";

    /// <summary>Tags were added to a contact.</summary>
    public const string ContactTagsAdded = "contact.tags_added";

    /// <summary>Tags were removed from a contact.</summary>
    public const string ContactTagsRemoved = "contact.tags_removed";

    /// <summary>A contact was deleted.</summary>
    public const string ContactDeleted = "contact.deleted";

    /// <summary>Every event type of the contract.</summary>
    public static IReadOnlyList<string> EventTypes { get; } = [ContactUpserted, ContactTagsAdded, ContactTagsRemoved, ContactDeleted];

    private static readonly string[] ContactIdentifiers = ["externalId", "email", "phone"];
    private static readonly string[] ContactTextFields = ["externalId", "email", "phone", "firstName", "lastName", "name", "companyName"];

    /// <summary>Reads and checks a body.</summary>
    public static WebhookReadResult Read(ReadOnlyMemory<byte> body)
    {
        if (!JsonFields.TryParse(body, out var document, out var error))
        {
            return WebhookReadResult.Invalid(error!);
        }

        using (document)
        {
            return Check(document!.RootElement);
        }
    }

    private static WebhookReadResult Check(JsonElement root)
    {
        var missing = new List<string>(5);
        foreach (var field in (string[])["type", "id", "occurredAt", "locationId"])
        {
            if (JsonFields.NonEmptyString(root, field) is null)
            {
                missing.Add(field);
            }
        }

        if (!root.TryGetProperty("contact", out var contact) || contact.ValueKind != JsonValueKind.Object)
        {
            missing.Add("contact");
        }

        if (missing.Count > 0)
        {
            return WebhookReadResult.Invalid($"Required fields are missing, empty or of the wrong kind: {string.Join(", ", missing)}.");
        }

        var type = root.GetProperty("type").GetString()!;
        if (!EventTypes.Contains(type, StringComparer.Ordinal))
        {
            return WebhookReadResult.Invalid($"type must be one of {string.Join(", ", EventTypes)}.");
        }

        var id = root.GetProperty("id").GetString()!;
        if (id.Length > JsonFields.MaxIdLength)
        {
            return WebhookReadResult.Invalid($"id is longer than {JsonFields.MaxIdLength} characters.");
        }

        if (!JsonFields.TryParseDateTime(root.GetProperty("occurredAt").GetString(), out var occurredAt))
        {
            return WebhookReadResult.Invalid("occurredAt is not an ISO-8601 date-time with an offset (e.g. 2026-11-26T12:00:00Z).");
        }

        foreach (var field in ContactTextFields)
        {
            if (!JsonFields.IsOptionalString(contact, field))
            {
                return WebhookReadResult.Invalid($"contact.{field} must be a string when present.");
            }
        }

        if (CheckCustomFields(contact) is { } customError)
        {
            return WebhookReadResult.Invalid(customError);
        }

        if (!ContactIdentifiers.Any(field => JsonFields.NonEmptyString(contact, field) is not null))
        {
            return WebhookReadResult.Invalid("contact must have at least one of externalId, email, phone.");
        }

        var tagsError = CheckTags(root, required: type is ContactTagsAdded or ContactTagsRemoved);
        if (tagsError is not null)
        {
            return WebhookReadResult.Invalid(tagsError);
        }

        var locationId = root.GetProperty("locationId").GetString()!;
        return WebhookReadResult.Valid(new WebhookEnvelope(id, type, locationId, null, occurredAt));
    }

    private static string? CheckCustomFields(JsonElement contact)
    {
        if (!contact.TryGetProperty("customFields", out var custom) || custom.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (custom.ValueKind != JsonValueKind.Object)
        {
            return "contact.customFields must be an object of field keys and values.";
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in custom.EnumerateObject())
        {
            var key = CustomFieldKeys.Normalize(property.Name);
            if (key is null || property.Name.Length > CustomFieldKeys.MaxLength)
            {
                return $"contact.customFields keys must be non-empty and at most {CustomFieldKeys.MaxLength} characters.";
            }

            if (!keys.Add(key))
            {
                return $"contact.customFields names the field '{key}' twice.";
            }

            if (!CustomFieldKeys.IsValue(property.Value))
            {
                return $"contact.customFields.{property.Name} must be a string, a number, a boolean or an array of strings.";
            }
        }

        return null;
    }

    private static string? CheckTags(JsonElement root, bool required)
    {
        if (!root.TryGetProperty("tags", out var tags) || tags.ValueKind == JsonValueKind.Null)
        {
            return required ? "tags is required (a non-empty array of tag names) for tag events." : null;
        }

        if (tags.ValueKind != JsonValueKind.Array)
        {
            return "tags must be an array of tag names.";
        }

        if (required && tags.GetArrayLength() == 0)
        {
            return "tags must not be empty for tag events.";
        }

        foreach (var tag in tags.EnumerateArray())
        {
            if (tag.ValueKind != JsonValueKind.String || tag.GetString() is not { Length: > 0 })
            {
                return "tags must hold only non-empty strings.";
            }
        }

        return null;
    }
}
