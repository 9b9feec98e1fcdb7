using System.Net;

namespace Sync.Sandbox.Tests.Auth;

public sealed class When_a_client_secret_is_changed
{
    [Test]
    public async Task Should_refuse_the_old_secret_as_invalid_client()
    {
        await using var api = await SandboxApi.StartAsync();
        using var changed = await api.BareClient().PutAsync("_sandbox/oauth/clients/sandbox-client/secret", SandboxApi.Json(new { clientSecret = "rotated-secret" }));
        var code = api.State.Tokens.IssueAuthorizationCode(SandboxApi.LocationA);

        using var response = await api.BareClient().PostAsync("oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = "sandbox-client", ["client_secret"] = "sandbox-secret", ["grant_type"] = "authorization_code", ["code"] = code,
        }));
        var body = await SandboxApi.ReadAsync(response);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(body.GetProperty("error").GetString(), Is.EqualTo("invalid_client"));
        }
    }
}
