using System.Text.Json;
using System.Text.Json.Serialization;
using Sync.Sandbox.Contacts;
using Sync.Sandbox.Limits;

namespace Sync.Sandbox.Api;

internal sealed record ErrorBody(int StatusCode, string Message, string? Error, string TraceId);

internal sealed record ValidationErrorBody(int StatusCode, IReadOnlyList<string> Message, string Error, string TraceId);

internal sealed record OAuthErrorBody(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string ErrorDescription,
    [property: JsonPropertyName("statusCode")] int StatusCode,
    [property: JsonPropertyName("traceId")] string TraceId);

/// <summary>The <c>POST /oauth/token</c> answer.</summary>
internal sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("refresh_token")] string RefreshToken,
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("userType")] string UserType,
    [property: JsonPropertyName("locationId")] string? LocationId,
    [property: JsonPropertyName("companyId")] string CompanyId,
    [property: JsonPropertyName("appId")] string AppId)
{
    [JsonPropertyName("traceId")]
    public string? TraceId { get; init; }
}

internal sealed record UpsertResponse(bool New, ContactView Contact, string TraceId);

internal sealed record ContactResponse(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ContactView? Contact,
    string TraceId);

internal sealed record SucceededResponse([property: JsonPropertyName("succeded")] bool Succeded, string TraceId);

internal sealed record TagsResponse(IReadOnlyList<string> Tags, string TraceId);

internal sealed record BulkTagItem(
    string ContactId,
    string Type,
    string Message,
    IReadOnlyList<string>? OldTags,
    IReadOnlyList<string>? TagsAdded,
    IReadOnlyList<string>? TagsRemoved);

internal sealed record BulkTagResponse(
    [property: JsonPropertyName("succeded")] bool Succeded,
    int ErrorCount,
    IReadOnlyList<BulkTagItem> Responses,
    string TraceId);

internal sealed record BulkTagSummaryResponse(
    [property: JsonPropertyName("succeded")] bool Succeded,
    int ErrorCount,
    string TraceId);

internal sealed record LegacyMeta(
    int Total,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? StartAfterId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? StartAfter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? NextPageUrl,
    int CurrentPage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? NextPage,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? PrevPage);

internal sealed record LegacyListResponse(IReadOnlyList<ContactView> Contacts, LegacyMeta Meta, string TraceId);

internal sealed record SearchResponse(IReadOnlyList<ContactView> Contacts, int Total, string TraceId);

// Inspection (/_sandbox) shapes.
internal sealed record CodeRequest(string? LocationId, string? CompanyId, string? ClientId, int? AccessTokenLifetimeSeconds);

internal sealed record CodeResponse(string Code, string LocationId, string ClientId, string TraceId);

internal sealed record PrivateTokenRequest(string? LocationId, string? Token, string? AppId, int? ExpiresInSeconds);

internal sealed record PrivateTokenResponse(string AccessToken, string LocationId, string AppId, DateTimeOffset? ExpiresAt, string TraceId);

internal sealed record RevokeResponse(string LocationId, int Revoked, string TraceId);

internal sealed record ClientSecretRequest(string? ClientSecret);

internal sealed record LocationContactsResponse(string LocationId, int Count, IReadOnlyList<ContactView> Contacts, string TraceId);

internal sealed record CustomFieldsResponse(IReadOnlyList<Contacts.CustomFieldDefinitionView> CustomFields, string TraceId);

internal sealed record SeedResponse(IReadOnlyList<string> Ids, string TraceId);

internal sealed record RequestCountsResponse(long Total, IReadOnlyList<RequestCount> Requests, string TraceId);

internal sealed record InspectionMessage(string Message, string TraceId);

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(ValidationErrorBody))]
[JsonSerializable(typeof(OAuthErrorBody))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(UpsertResponse))]
[JsonSerializable(typeof(ContactResponse))]
[JsonSerializable(typeof(SucceededResponse))]
[JsonSerializable(typeof(TagsResponse))]
[JsonSerializable(typeof(BulkTagResponse))]
[JsonSerializable(typeof(BulkTagSummaryResponse))]
[JsonSerializable(typeof(LegacyListResponse))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(CodeRequest))]
[JsonSerializable(typeof(CodeResponse))]
[JsonSerializable(typeof(PrivateTokenRequest))]
[JsonSerializable(typeof(PrivateTokenResponse))]
[JsonSerializable(typeof(RevokeResponse))]
[JsonSerializable(typeof(ClientSecretRequest))]
[JsonSerializable(typeof(LocationContactsResponse))]
[JsonSerializable(typeof(SeedResponse))]
[JsonSerializable(typeof(CustomFieldsResponse))]
[JsonSerializable(typeof(RequestCountsResponse))]
[JsonSerializable(typeof(InspectionMessage))]
[JsonSerializable(typeof(SandboxRateLimitOptions))]
[JsonSerializable(typeof(SandboxFaultOptions))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
internal sealed partial class SandboxJson : JsonSerializerContext;
