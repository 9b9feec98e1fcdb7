using System.Net;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_tags_are_changed_on_one_contact
{
    [Test]
    public async Task Should_answer_201_with_all_tags_after_adding()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "a@example.com", tags = new[] { "old" } });

        using var response = await api.Client.PostAsync($"contacts/{id}/tags", SandboxApi.Json(new { tags = new[] { "New", "old" } }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(SandboxApi.Strings((await SandboxApi.ReadAsync(response)).GetProperty("tags")), Is.EqualTo(new[] { "old", "new" }));
    }

    [Test]
    public async Task Should_answer_200_with_the_remaining_tags_after_removing()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "a@example.com", tags = new[] { "a", "b" } });
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"contacts/{id}/tags") { Content = SandboxApi.Json(new { tags = new[] { "a" } }) };

        using var response = await api.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(SandboxApi.Strings((await SandboxApi.ReadAsync(response)).GetProperty("tags")), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public async Task Should_answer_404_for_an_unknown_contact()
    {
        await using var api = await SandboxApi.StartAsync();

        using var response = await api.Client.PostAsync("contacts/AAAAAAAAAAAAAAAAAAAA/tags", SandboxApi.Json(new { tags = new[] { "x" } }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Should_answer_403_for_a_contact_of_another_location()
    {
        await using var api = await SandboxApi.StartAsync();
        using var other = api.ClientFor(SandboxApi.LocationB);
        var foreign = await api.UpsertAsync(new { locationId = SandboxApi.LocationB, email = "b@example.com" }, other);

        using var response = await api.Client.PostAsync($"contacts/{foreign}/tags", SandboxApi.Json(new { tags = new[] { "x" } }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(api.State.Contacts.Find(foreign)!.Tags, Is.Empty);
    }
}
