using Sync.Contracts;
using System.Text.Json;

namespace Sync.Storage.Internal;

/// <summary>How enums and header maps are written in the database: short lowercase words and JSON objects.</summary>
internal static class DbValues
{
    public static string ToDb(ContactKeyKind kind) => kind switch
    {
        ContactKeyKind.Email => "email",
        ContactKeyKind.Phone => "phone",
        ContactKeyKind.ExternalId => "external_id",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static ContactKeyKind ContactKeyKindFromDb(string value) => value switch
    {
        "email" => ContactKeyKind.Email,
        "phone" => ContactKeyKind.Phone,
        "external_id" => ContactKeyKind.ExternalId,
        _ => throw new InvalidOperationException($"Unknown contact key kind '{value}' in the database."),
    };

    public static string ToDb(TagOperation operation) => operation switch
    {
        TagOperation.Add => "add",
        TagOperation.Remove => "remove",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    public static TagOperation TagOperationFromDb(string value) => value switch
    {
        "add" => TagOperation.Add,
        "remove" => TagOperation.Remove,
        _ => throw new InvalidOperationException($"Unknown tag operation '{value}' in the database."),
    };

    public static string ToDb(AuthMode mode) => mode switch
    {
        AuthMode.OAuth => "oauth",
        AuthMode.PrivateIntegration => "private_integration",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    public static AuthMode AuthModeFromDb(string value) => value switch
    {
        "oauth" => AuthMode.OAuth,
        "private_integration" => AuthMode.PrivateIntegration,
        _ => throw new InvalidOperationException($"Unknown auth mode '{value}' in the database."),
    };

    public static string ToDb(InstallationStatus status) => status switch
    {
        InstallationStatus.Active => "active",
        InstallationStatus.Suspended => "suspended",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static InstallationStatus InstallationStatusFromDb(string value) => value switch
    {
        "active" => InstallationStatus.Active,
        "suspended" => InstallationStatus.Suspended,
        _ => throw new InvalidOperationException($"Unknown installation status '{value}' in the database."),
    };

    public static string ToDb(DeadLetterStatus status) => status switch
    {
        DeadLetterStatus.New => "new",
        DeadLetterStatus.Replayed => "replayed",
        DeadLetterStatus.Discarded => "discarded",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static DeadLetterStatus DeadLetterStatusFromDb(string value) => value switch
    {
        "new" => DeadLetterStatus.New,
        "replayed" => DeadLetterStatus.Replayed,
        "discarded" => DeadLetterStatus.Discarded,
        _ => throw new InvalidOperationException($"Unknown dead-letter status '{value}' in the database."),
    };

    public static string ToDb(DeadLetterAction action) => action switch
    {
        DeadLetterAction.Replayed => "replayed",
        DeadLetterAction.Discarded => "discarded",
        DeadLetterAction.Edited => "edited",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    public static DeadLetterAction DeadLetterActionFromDb(string value) => value switch
    {
        "replayed" => DeadLetterAction.Replayed,
        "discarded" => DeadLetterAction.Discarded,
        "edited" => DeadLetterAction.Edited,
        _ => throw new InvalidOperationException($"Unknown dead-letter action '{value}' in the database."),
    };

    public static string HeadersToJson(IReadOnlyDictionary<string, string> headers) => JsonSerializer.Serialize(headers);

    public static IReadOnlyDictionary<string, string> HeadersFromJson(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? new Dictionary<string, string>();

    /// <summary>Times are stored in UTC (PostgreSQL refuses other offsets for <c>timestamptz</c>).</summary>
    public static DateTimeOffset Utc(DateTimeOffset value) => value.ToUniversalTime();

    public static DateTimeOffset? Utc(DateTimeOffset? value) => value?.ToUniversalTime();

    /// <summary>Cuts free text (errors, notes) to what a column holds.</summary>
    public static string? Truncate(string? value, int maxLength) =>
        value is null || value.Length <= maxLength ? value : value[..maxLength];
}
