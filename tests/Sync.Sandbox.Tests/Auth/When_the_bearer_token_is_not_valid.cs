using System.Net;
using System.Net.Http.Headers;

namespace Sync.Sandbox.Tests.Auth;

public sealed class When_the_bearer_token_is_not_valid
{
    [Test]
    public async Task Should_answer_401_without_a_token()
    {
        await using var api = await SandboxApi.StartAsync();
        using var client = api.Server.CreateClient();

        using var response = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Should_answer_401_for_an_unknown_token()
    {
        await using var api = await SandboxApi.StartAsync();
        using var client = api.Server.CreateClient("not-a-token");

        using var response = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.Contains("X-RateLimit-Remaining"), Is.False);
    }

    [Test]
    public async Task Should_answer_401_for_an_expired_token()
    {
        await using var api = await SandboxApi.StartAsync(fakeTime: true);
        var token = api.State.Tokens.RegisterPrivateToken(SandboxApi.LocationA, expiresInSeconds: 60).Token;
        using var client = api.Server.CreateClient(token);
        using var before = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        api.Time!.Advance(TimeSpan.FromSeconds(61));
        using var after = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Should_answer_401_after_the_location_is_revoked()
    {
        await using var api = await SandboxApi.StartAsync();
        using var revoke = await api.BareClient().PostAsync($"_sandbox/locations/{SandboxApi.LocationA}/revoke", null);

        using var response = await api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Should_accept_the_bearer_scheme_in_any_case()
    {
        await using var api = await SandboxApi.StartAsync();
        using var client = api.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", api.Token);

        using var response = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
