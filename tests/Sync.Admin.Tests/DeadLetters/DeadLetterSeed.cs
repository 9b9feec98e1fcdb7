using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Contracts;
using Sync.Storage;

namespace Sync.Admin.Tests.DeadLetters;

/// <summary>Dead letters as the collector stores them: a MassTransit envelope of a Sync contract with fault and Sync headers.</summary>
internal static class DeadLetterSeed
{
    public const string Queue = "webhook-received";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static DeadLetterFailure WebhookFailure(
        string locationId,
        string eventId,
        DateTimeOffset failedAt,
        string faultMessage = "HoopAI answered 422: email or phone is required",
        string classification = "permanent",
        string payload = """{"contact":{"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","phone":"+1 555 010 0199"}}""")
    {
        var messageId = Guid.NewGuid();
        var message = new WebhookReceived("crm", eventId, "contact.updated", locationId, failedAt.AddMinutes(-1), failedAt.AddMinutes(-1), payload);
        var envelope = new
        {
            messageId = messageId.ToString(),
            messageType = new[] { "urn:message:Sync.Contracts:WebhookReceived" },
            message,
            headers = new Dictionary<string, object>(),
        };
        var headers = new Dictionary<string, string>
        {
            ["MT-Fault-ExceptionType"] = "Sync.HoopAi.HoopAiApiException",
            ["MT-Fault-Message"] = faultMessage,
            ["MT-Fault-Timestamp"] = failedAt.ToString("O"),
            ["MT-Reason"] = "fault",
            ["Sync-Failure-Kind"] = classification,
            ["Sync-Http-Status"] = "422",
            ["Sync-Api-Answer"] = """{"message":["email or phone is required for ada@example.com"]}""",
            ["Sync-Location-Id"] = locationId,
            ["Sync-Transient-Redeliveries"] = "4",
            ["x-first-death-queue"] = Queue,
            ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };
        return new DeadLetterFailure(
            Queue, messageId.ToString(), typeof(WebhookReceived).FullName, locationId, JsonSerializer.Serialize(envelope, Web), headers,
            "Sync.HoopAi.HoopAiApiException", faultMessage, "   at Sync.Components.Consumers.WebhookReceivedConsumer.Consume()", classification, failedAt)
        {
            HttpStatus = 422,
            ApiAnswer = """{"message":["email or phone is required for ada@example.com"]}""",
            Attempts = 5,
            Consumer = "Sync.Components.Consumers.WebhookReceivedConsumer",
        };
    }

    public static async Task<Guid> AddAsync(this AdminTestDatabase database, DeadLetterFailure failure) =>
        (await database.Storage.GetRequiredService<IDeadLetterStore>().AddOrUpdateAsync(failure, CancellationToken.None)).Id;

    public static IDeadLetterStore DeadLetters(this AdminTestDatabase database) => database.Storage.GetRequiredService<IDeadLetterStore>();

    public static async Task<IReadOnlyList<OutboxRow>> OutboxRowsAsync(this AdminTestDatabase database)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT message_id, message_type, destination, body, headers FROM sync.outbox ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<OutboxRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new OutboxRow(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(4))!));
        }

        return rows;
    }
}

internal sealed record OutboxRow(Guid MessageId, string MessageType, string Destination, string Body, IReadOnlyDictionary<string, string> Headers);
