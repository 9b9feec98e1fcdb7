using System.Net;

namespace Sync.Sandbox.Tests.Auth;

public sealed class When_a_token_is_used_for_another_location
{
    [Test]
    public async Task Should_answer_403_saying_the_token_has_no_access()
    {
        await using var api = await SandboxApi.StartAsync();

        using var response = await api.Client.PostAsync("contacts/upsert", SandboxApi.Json(new { locationId = SandboxApi.LocationB, email = "x@example.com" }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await SandboxApi.ReadAsync(response)).GetProperty("message").GetString(), Is.EqualTo("The token does not have access to this location."));
        Assert.That(api.State.Contacts.Count, Is.Zero);
    }

    [Test]
    public async Task Should_answer_403_when_listing_another_location()
    {
        await using var api = await SandboxApi.StartAsync();

        using var response = await api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationB}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
