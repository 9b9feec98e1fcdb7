using System.Net;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_bulk_removing_tags
{
    [Test]
    public async Task Should_remove_only_the_named_tags_and_report_them()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "r@example.com", tags = new[] { "a", "b", "c" } });

        using var response = await api.Client.PostAsync("contacts/bulk/tags/update/remove",
            SandboxApi.Json(new { locationId = SandboxApi.LocationA, contacts = new[] { id }, tags = new[] { "a", "zzz" } }));

        var item = (await SandboxApi.ReadAsync(response)).GetProperty("responses")[0];
        Assert.That(SandboxApi.Strings(item.GetProperty("tagsRemoved")), Is.EqualTo(new[] { "a" }));
        Assert.That(api.State.Contacts.Find(id)!.Tags, Is.EqualTo(new[] { "b", "c" }));
    }

    [Test]
    public async Task Should_remove_every_tag_with_removeAllTags()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "r@example.com", tags = new[] { "a", "b" } });

        using var response = await api.Client.PostAsync("contacts/bulk/tags/update/remove",
            SandboxApi.Json(new { locationId = SandboxApi.LocationA, contacts = new[] { id }, removeAllTags = true }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(api.State.Contacts.Find(id)!.Tags, Is.Empty);
    }

    [Test]
    public async Task Should_reject_removeAllTags_on_add()
    {
        await using var api = await SandboxApi.StartAsync();

        using var response = await api.Client.PostAsync("contacts/bulk/tags/update/add",
            SandboxApi.Json(new { locationId = SandboxApi.LocationA, contacts = new[] { "AAAAAAAAAAAAAAAAAAAA" }, tags = new[] { "a" }, removeAllTags = true }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
    }
}
