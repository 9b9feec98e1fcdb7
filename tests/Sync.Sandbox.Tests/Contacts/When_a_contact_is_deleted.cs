using System.Net;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_a_contact_is_deleted
{
    [Test]
    public async Task Should_be_gone_for_get_and_for_duplicate_search()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "gone@example.com" });

        using var deleted = await api.Client.DeleteAsync($"contacts/{id}");
        using var get = await api.Client.GetAsync($"contacts/{id}");
        using var duplicate = await api.Client.GetAsync($"contacts/search/duplicate?locationId={SandboxApi.LocationA}&email=gone%40example.com");

        Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await SandboxApi.ReadAsync(deleted)).GetProperty("succeded").GetBoolean(), Is.True);
        Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await SandboxApi.ReadAsync(duplicate)).GetProperty("contact").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
    }

    [Test]
    public async Task Should_let_a_later_upsert_create_a_new_contact()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "again@example.com" });
        using var _ = await api.Client.DeleteAsync($"contacts/{id}");

        var second = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "again@example.com" });

        Assert.That(second, Is.Not.EqualTo(id));
    }
}
