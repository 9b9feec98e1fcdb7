using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sync.Ingress.Tests.Support;

/// <summary>Event bodies for the tests.</summary>
public static class EventBodies
{
    public static byte[] Platform(string type, string? locationId, string webhookId, DateTimeOffset timestamp, Action<JsonObject>? change = null)
    {
        var body = new JsonObject
        {
            ["type"] = type,
            ["locationId"] = locationId,
            ["id"] = "contact-" + webhookId,
            ["email"] = "jane@example.com",
            ["tags"] = new JsonArray("lead"),
            ["timestamp"] = timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["webhookId"] = webhookId,
            ["appId"] = IngressSettings.AppId,
        };
        change?.Invoke(body);
        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    public static byte[] Source(string type, string id, string locationId, DateTimeOffset occurredAt, Action<JsonObject>? change = null)
    {
        var body = new JsonObject
        {
            ["type"] = type,
            ["id"] = id,
            ["occurredAt"] = occurredAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["locationId"] = locationId,
            ["contact"] = new JsonObject { ["externalId"] = "crm-42", ["email"] = "jane@example.com", ["firstName"] = "Jane" },
            ["tags"] = new JsonArray("vip"),
        };
        change?.Invoke(body);
        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
