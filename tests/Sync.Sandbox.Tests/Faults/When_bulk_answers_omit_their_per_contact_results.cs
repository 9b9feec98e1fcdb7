using System.Net;

namespace Sync.Sandbox.Tests.Faults;

public sealed class When_bulk_answers_omit_their_per_contact_results
{
    [Test]
    public async Task Should_apply_the_tags_and_answer_201_without_a_responses_list()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { Faults = { BulkOmitResponses = true } });
        var contactId = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "bulk-summary@example.com" });

        using var response = await api.Client.PostAsync("contacts/bulk/tags/update/add",
            SandboxApi.Json(new { locationId = SandboxApi.LocationA, contacts = new[] { contactId }, tags = new[] { "vip" } }));
        var body = await SandboxApi.ReadAsync(response);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(body.TryGetProperty("responses", out _), Is.False);
        Assert.That(body.GetProperty("succeded").GetBoolean(), Is.True);
        Assert.That(body.GetProperty("errorCount").GetInt32(), Is.Zero);
        Assert.That(api.State.Contacts.ForLocation(SandboxApi.LocationA).Single().Tags, Is.EqualTo(new[] { "vip" }));
    }
}
