using System.Net;

namespace Sync.Sandbox.Tests.Faults;

public sealed class When_the_token_endpoint_is_faulted
{
    [TestCase(429)]
    [TestCase(503)]
    public async Task Should_answer_every_token_request_with_the_configured_status(int status)
    {
        await using var api = await SandboxApi.StartAsync();
        using var set = await api.BareClient().PutAsync("_sandbox/faults", SandboxApi.Json(new { oAuthErrorStatus = status }));
        var code = api.State.Tokens.IssueAuthorizationCode(SandboxApi.LocationA);

        using var response = await api.BareClient().PostAsync("oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = "sandbox-client", ["client_secret"] = "sandbox-secret", ["grant_type"] = "authorization_code", ["code"] = code,
        }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((int)response.StatusCode, Is.EqualTo(status));
        }
    }

    [Test]
    public async Task Should_leave_api_calls_alone()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { OAuthErrorStatus = 503 } });

        using var response = await api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=1");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
