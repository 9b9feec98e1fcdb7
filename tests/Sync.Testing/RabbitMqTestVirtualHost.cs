using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Sync.Testing;

/// <summary>
/// A virtual host of its own for one fixture, created through the management API and deleted afterwards, so
/// exchanges and queues of one test never meet those of another run or fixture.
/// </summary>
public sealed class RabbitMqTestVirtualHost : IAsyncDisposable
{
    private readonly HttpClient _management;

    private RabbitMqTestVirtualHost(HttpClient management, string name)
    {
        _management = management;
        Name = name;
    }

    /// <summary>The virtual host's name.</summary>
    public string Name { get; }

    /// <summary>The broker's host name.</summary>
    public string Host => TestSettings.RabbitMq.Host;

    /// <summary>The AMQP port.</summary>
    public int Port => TestSettings.RabbitMq.IsDefaultPort ? 5672 : TestSettings.RabbitMq.Port;

    /// <summary>User name from the AMQP URI.</summary>
    public string Username => Uri.UnescapeDataString(TestSettings.RabbitMq.UserInfo.Split(':')[0]);

    /// <summary>Password from the AMQP URI.</summary>
    public string Password => Uri.UnescapeDataString(TestSettings.RabbitMq.UserInfo.Split(':').ElementAtOrDefault(1) ?? "");

    /// <summary>AMQP URI of this virtual host, with credentials.</summary>
    public Uri AmqpUri => new($"amqp://{TestSettings.RabbitMq.UserInfo}@{Host}:{Port}/{Uri.EscapeDataString(Name)}");

    /// <summary>Creates a fresh virtual host, or stops the test through <see cref="ServiceGate"/> when the broker is unreachable.</summary>
    public static async Task<RabbitMqTestVirtualHost> CreateAsync(string prefix = "sync-test")
    {
        var api = TestSettings.RabbitMqManagement;
        var client = new HttpClient { BaseAddress = new Uri(api.GetLeftPart(UriPartial.Authority) + "/api/"), Timeout = TimeSpan.FromSeconds(10) };
        var credentials = api.UserInfo.Length > 0 ? Uri.UnescapeDataString(api.UserInfo) : "guest:guest";
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));

        var name = $"{prefix}-{Guid.NewGuid():N}";
        var vhost = new RabbitMqTestVirtualHost(client, name);
        try
        {
            using var created = await client.PutAsync($"vhosts/{Uri.EscapeDataString(name)}", null);
            created.EnsureSuccessStatusCode();
            var user = credentials.Split(':')[0];
            using var granted = await client.PutAsJsonAsync(
                $"permissions/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(user)}",
                new { configure = ".*", write = ".*", read = ".*" });
            granted.EnsureSuccessStatusCode();
        }
        catch (HttpRequestException ex)
        {
            client.Dispose();
            ServiceGate.Unavailable($"RabbitMQ management API at {client.BaseAddress}", ex.Message);
        }
        catch (TaskCanceledException ex)
        {
            client.Dispose();
            ServiceGate.Unavailable($"RabbitMQ management API at {client.BaseAddress}", ex.Message);
        }

        return vhost;
    }

    /// <summary>Reads a queue's description from the management API (type, arguments, message counts).</summary>
    public async Task<JsonElement> GetQueueAsync(string queue)
    {
        using var response = await _management.GetAsync($"queues/{Uri.EscapeDataString(Name)}/{Uri.EscapeDataString(queue)}");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Takes up to <paramref name="count"/> messages off a queue (acknowledged: they are gone) and returns their payloads.</summary>
    public async Task<IReadOnlyList<string>> DrainAsync(string queue, int count = 1000)
    {
        using var response = await _management.PostAsJsonAsync(
            $"queues/{Uri.EscapeDataString(Name)}/{Uri.EscapeDataString(queue)}/get",
            new { count, ackmode = "ack_requeue_false", encoding = "auto", truncate = 1_000_000 });
        response.EnsureSuccessStatusCode();
        var messages = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. messages.EnumerateArray().Select(m => m.GetProperty("payload").GetString() ?? "")];
    }

    /// <summary>
    /// Closes, from the broker's side, every connection of this virtual host whose client-provided name starts with
    /// <paramref name="clientNamePrefix"/>, as a crashed process or a network cut would end them; returns how many.
    /// </summary>
    public async Task<int> CloseConnectionsAsync(string clientNamePrefix)
    {
        using var response = await _management.GetAsync($"vhosts/{Uri.EscapeDataString(Name)}/connections");
        response.EnsureSuccessStatusCode();
        var connections = await response.Content.ReadFromJsonAsync<JsonElement>();
        var closed = 0;
        foreach (var connection in connections.EnumerateArray())
        {
            var clientName = connection.TryGetProperty("client_properties", out var properties) &&
                             properties.TryGetProperty("connection_name", out var n) ? n.GetString() : null;
            if (clientName?.StartsWith(clientNamePrefix, StringComparison.Ordinal) == true)
            {
                using var deleted = await _management.DeleteAsync($"connections/{Uri.EscapeDataString(connection.GetProperty("name").GetString()!)}");
                deleted.EnsureSuccessStatusCode();
                closed++;
            }
        }

        return closed;
    }

    /// <summary>Deletes the virtual host and everything in it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var _ = await _management.DeleteAsync($"vhosts/{Uri.EscapeDataString(Name)}");
        }
        catch (HttpRequestException)
        {
            // The broker went away; the virtual host goes with its data directory.
        }
        finally
        {
            _management.Dispose();
        }
    }
}
