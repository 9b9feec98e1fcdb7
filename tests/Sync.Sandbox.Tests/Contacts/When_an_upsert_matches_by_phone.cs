namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_an_upsert_matches_by_phone
{
    [Test]
    public async Task Should_update_the_contact_that_has_the_phone_in_any_notation()
    {
        await using var api = await SandboxApi.StartAsync();
        var first = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, phone = "+1 (555) 010-2030", firstName = "Pat" });

        var second = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, phone = "555.010.2030", lastName = "Lee" });

        Assert.That(second, Is.EqualTo(first));
        Assert.That(api.State.Contacts.Find(first)!.Phone, Is.EqualTo("+15550102030"));
    }

    [Test]
    public async Task Should_let_email_win_and_drop_the_phone_when_they_match_two_contacts()
    {
        await using var api = await SandboxApi.StartAsync();
        var byEmail = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "a@example.com" });
        var byPhone = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, phone = "+15550000001" });

        var matched = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "a@example.com", phone = "+15550000001" });

        Assert.That(matched, Is.EqualTo(byEmail));
        Assert.That(api.State.Contacts.Find(byEmail)!.Phone, Is.Null);
        Assert.That(api.State.Contacts.Find(byPhone)!.Phone, Is.EqualTo("+15550000001"));
    }
}
