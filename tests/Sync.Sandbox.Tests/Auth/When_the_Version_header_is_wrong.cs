using System.Net;
using System.Net.Http.Headers;

namespace Sync.Sandbox.Tests.Auth;

public sealed class When_the_Version_header_is_wrong
{
    [TestCase(null)]
    [TestCase("2021-04-15")]
    public async Task Should_answer_400(string? version)
    {
        await using var api = await SandboxApi.StartAsync();
        using var client = api.BareClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", api.Token);
        if (version is not null)
        {
            client.DefaultRequestHeaders.Add("Version", version);
        }

        using var response = await client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await SandboxApi.ReadAsync(response)).GetProperty("message").GetString(), Does.Contain("Version"));
    }
}
