using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Sync.Sandbox.Tests;

/// <summary>A sandbox started for one fixture, with a location token and a client that sends the Version header.</summary>
internal sealed class SandboxApi : IAsyncDisposable
{
    public const string LocationA = "LocationAaaaaaaaaaaa";
    public const string LocationB = "LocationBbbbbbbbbbbb";

    private SandboxApi(SandboxServer server, FakeTimeProvider? time, string token, HttpClient client)
    {
        Server = server;
        Time = time;
        Token = token;
        Client = client;
    }

    public SandboxServer Server { get; }

    public SandboxState State => Server.State;

    /// <summary>The fake clock, when the fixture asked for one.</summary>
    public FakeTimeProvider? Time { get; }

    /// <summary>A private-integration token for <see cref="LocationA"/>.</summary>
    public string Token { get; }

    /// <summary>Sends Version and the bearer of <see cref="LocationA"/>.</summary>
    public HttpClient Client { get; }

    public static async Task<SandboxApi> StartAsync(SandboxOptions? options = null, bool fakeTime = false)
    {
        var time = fakeTime ? new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero)) : null;
        var server = await SandboxServer.StartAsync(options, time);
        var token = server.State.Tokens.RegisterPrivateToken(LocationA).Token;
        return new SandboxApi(server, time, token, server.CreateClient(token));
    }

    /// <summary>A client with a token of its own for another location.</summary>
    public HttpClient ClientFor(string locationId, string? appId = null) =>
        Server.CreateClient(State.Tokens.RegisterPrivateToken(locationId, appId: appId).Token);

    /// <summary>A client with no headers at all.</summary>
    public HttpClient BareClient() => new() { BaseAddress = Server.BaseAddress };

    private static readonly JsonSerializerOptions OmitNulls = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A JSON body; null members are left out, as a client sends only the fields it has.</summary>
    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body, OmitNulls), Encoding.UTF8, "application/json");

    public static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    /// <summary>Upserts through the API and returns the contact id.</summary>
    public async Task<string> UpsertAsync(object body, HttpClient? client = null)
    {
        using var response = await (client ?? Client).PostAsync("contacts/upsert", Json(body));
        Assert.That(response.StatusCode, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await ReadAsync(response)).GetProperty("contact").GetProperty("id").GetString()!;
    }

    public static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
