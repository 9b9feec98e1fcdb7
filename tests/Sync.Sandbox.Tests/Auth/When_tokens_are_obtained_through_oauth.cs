using System.Net;
using System.Text.Json;

namespace Sync.Sandbox.Tests.Auth;

public sealed class When_tokens_are_obtained_through_oauth
{
    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    private static async Task<(HttpStatusCode Status, JsonElement Json)> TokenAsync(SandboxApi api, params (string, string)[] fields)
    {
        using var client = api.BareClient();
        using var response = await client.PostAsync("oauth/token", Form(fields));
        return (response.StatusCode, await SandboxApi.ReadAsync(response));
    }

    private static async Task<JsonElement> InstallAsync(SandboxApi api)
    {
        using var codeResponse = await api.BareClient().PostAsync("_sandbox/oauth/codes", SandboxApi.Json(new { locationId = SandboxApi.LocationA }));
        var code = (await SandboxApi.ReadAsync(codeResponse)).GetProperty("code").GetString()!;
        var (status, json) = await TokenAsync(api, ("client_id", "sandbox-client"), ("client_secret", "sandbox-secret"),
            ("grant_type", "authorization_code"), ("code", code), ("user_type", "Location"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        return json;
    }

    [Test]
    public async Task Should_issue_a_bearer_token_for_the_location_of_the_code()
    {
        await using var api = await SandboxApi.StartAsync();

        var token = await InstallAsync(api);
        using var client = api.Server.CreateClient(token.GetProperty("access_token").GetString());
        using var response = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(token.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));
        Assert.That(token.GetProperty("expires_in").GetInt32(), Is.EqualTo(86399));
        Assert.That(token.GetProperty("locationId").GetString(), Is.EqualTo(SandboxApi.LocationA));
        Assert.That(token.GetProperty("userType").GetString(), Is.EqualTo("Location"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_reject_a_refresh_token_used_a_second_time()
    {
        await using var api = await SandboxApi.StartAsync();
        var refresh = (await InstallAsync(api)).GetProperty("refresh_token").GetString()!;
        (string, string)[] form = [("client_id", "sandbox-client"), ("client_secret", "sandbox-secret"), ("grant_type", "refresh_token"), ("refresh_token", refresh)];

        var (firstStatus, first) = await TokenAsync(api, form);
        var (secondStatus, second) = await TokenAsync(api, form);

        Assert.That(firstStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(first.GetProperty("refresh_token").GetString(), Is.Not.EqualTo(refresh));
        Assert.That(secondStatus, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(second.GetProperty("error").GetString(), Is.EqualTo("invalid_grant"));
    }

    [Test]
    public async Task Should_accept_the_rotated_refresh_token()
    {
        await using var api = await SandboxApi.StartAsync();
        var refresh = (await InstallAsync(api)).GetProperty("refresh_token").GetString()!;
        var (_, first) = await TokenAsync(api, ("client_id", "sandbox-client"), ("client_secret", "sandbox-secret"), ("grant_type", "refresh_token"), ("refresh_token", refresh));

        var (status, _) = await TokenAsync(api, ("client_id", "sandbox-client"), ("client_secret", "sandbox-secret"),
            ("grant_type", "refresh_token"), ("refresh_token", first.GetProperty("refresh_token").GetString()!));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_reject_a_wrong_client_secret()
    {
        await using var api = await SandboxApi.StartAsync();

        var (status, json) = await TokenAsync(api, ("client_id", "sandbox-client"), ("client_secret", "wrong"), ("grant_type", "refresh_token"), ("refresh_token", "x"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(json.GetProperty("error").GetString(), Is.EqualTo("invalid_client"));
    }

    [Test]
    public async Task Should_reject_a_json_body()
    {
        await using var api = await SandboxApi.StartAsync();

        using var response = await api.BareClient().PostAsync("oauth/token", SandboxApi.Json(new { client_id = "sandbox-client" }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Should_make_short_lived_tokens_when_configured()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { AccessTokenLifetimeSeconds = 5 }, fakeTime: true);
        var token = (await InstallAsync(api)).GetProperty("access_token").GetString();
        using var client = api.Server.CreateClient(token);

        api.Time!.Advance(TimeSpan.FromSeconds(6));
        using var response = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Should_turn_a_company_token_into_a_location_token()
    {
        await using var api = await SandboxApi.StartAsync();
        using var codeResponse = await api.BareClient().PostAsync("_sandbox/oauth/codes", SandboxApi.Json(new { locationId = SandboxApi.LocationA, companyId = "Company0000000000001" }));
        var code = (await SandboxApi.ReadAsync(codeResponse)).GetProperty("code").GetString()!;
        var (_, company) = await TokenAsync(api, ("client_id", "sandbox-client"), ("client_secret", "sandbox-secret"),
            ("grant_type", "authorization_code"), ("code", code), ("user_type", "Company"));
        using var agency = api.Server.CreateClient(company.GetProperty("access_token").GetString());

        using var response = await agency.PostAsync("oauth/locationToken", Form(("companyId", "Company0000000000001"), ("locationId", SandboxApi.LocationB)));
        var location = await SandboxApi.ReadAsync(response);
        using var client = api.Server.CreateClient(location.GetProperty("access_token").GetString());
        using var list = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationB}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
