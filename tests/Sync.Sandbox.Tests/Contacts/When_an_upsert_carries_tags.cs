namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_an_upsert_carries_tags
{
    [Test]
    public async Task Should_replace_all_of_the_contacts_tags()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "t@example.com", tags = new[] { "one", "two" } });

        await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "t@example.com", tags = new[] { "Three " } });

        Assert.That(api.State.Contacts.Find(id)!.Tags, Is.EqualTo(new[] { "three" }));
    }

    [Test]
    public async Task Should_keep_the_tags_when_the_upsert_has_none()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "t@example.com", tags = new[] { "one" } });

        await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "t@example.com", firstName = "T" });

        Assert.That(api.State.Contacts.Find(id)!.Tags, Is.EqualTo(new[] { "one" }));
    }
}
