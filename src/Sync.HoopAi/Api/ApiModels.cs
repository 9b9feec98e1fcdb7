using System.Text.Json.Serialization;

namespace Sync.HoopAi.Api;

/// <summary>A contact as the API returns it (the fields Sync reads).</summary>
public sealed record ApiContact
{
    /// <summary>The contact's id.</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = "";

    /// <summary>The location it belongs to.</summary>
    [JsonPropertyName("locationId")]
    public string? LocationId { get; init; }

    /// <summary>Email.</summary>
    [JsonPropertyName("email")]
    public string? Email { get; init; }

    /// <summary>Phone.</summary>
    [JsonPropertyName("phone")]
    public string? Phone { get; init; }

    /// <summary>First name.</summary>
    [JsonPropertyName("firstName")]
    public string? FirstName { get; init; }

    /// <summary>Last name.</summary>
    [JsonPropertyName("lastName")]
    public string? LastName { get; init; }

    /// <summary>Tags.</summary>
    [JsonPropertyName("tags")]
    public IReadOnlyList<string> Tags { get; init; } = [];
}

/// <summary>The answer of <c>POST /contacts/upsert</c>.</summary>
/// <param name="Contact">The contact as stored.</param>
/// <param name="Created">True when the call created the contact (<c>new: true</c>).</param>
public sealed record UpsertContactResult(ApiContact Contact, bool Created);

/// <summary>One contact's outcome in a bulk tag call.</summary>
/// <param name="ContactId">The contact.</param>
/// <param name="Succeeded">True for <c>type: success</c>.</param>
/// <param name="Message">The API's message, for errors.</param>
public sealed record BulkTagOutcome(string ContactId, bool Succeeded, string? Message);

/// <summary>The answer of <c>POST /contacts/bulk/tags/update/{add|remove}</c>: one outcome per contact.</summary>
/// <param name="Outcomes">Per-contact outcomes, as the API listed them.</param>
/// <param name="ErrorCount">The API's <c>errorCount</c>.</param>
public sealed record BulkTagResult(IReadOnlyList<BulkTagOutcome> Outcomes, int ErrorCount);

/// <summary>A custom field's definition, as <c>GET /locations/{locationId}/customFields</c> lists it.</summary>
public sealed record CustomFieldDefinition
{
    /// <summary>The field's id: what an upsert's <c>customFields</c> names.</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = "";

    /// <summary>The field's key, e.g. <c>contact.favourite_colour</c>.</summary>
    [JsonPropertyName("fieldKey")]
    public string FieldKey { get; init; } = "";

    /// <summary>The field's display name.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }

    /// <summary>The field's type (TEXT, NUMERICAL, CHECKBOX, …).</summary>
    [JsonPropertyName("dataType")]
    public string? DataType { get; init; }
}

/// <summary>A custom field value to send, by field id.</summary>
/// <param name="Id">The field's id.</param>
/// <param name="Value">The value: a string, number, boolean or array of strings.</param>
public sealed record CustomFieldValue(string Id, System.Text.Json.JsonElement Value);

internal sealed record CustomFieldsResponse([property: JsonPropertyName("customFields")] IReadOnlyList<CustomFieldDefinition>? CustomFields);

internal sealed record UpsertResponse(
    [property: JsonPropertyName("new")] bool New,
    [property: JsonPropertyName("contact")] ApiContact? Contact);

internal sealed record ContactResponse([property: JsonPropertyName("contact")] ApiContact? Contact);

internal sealed record BulkResponse(
    [property: JsonPropertyName("succeded")] bool? Succeded,
    [property: JsonPropertyName("errorCount")] int? ErrorCount,
    [property: JsonPropertyName("responses")] IReadOnlyList<BulkResponseItem>? Responses);

internal sealed record BulkResponseItem(
    [property: JsonPropertyName("contactId")] string? ContactId,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("message")] string? Message);
