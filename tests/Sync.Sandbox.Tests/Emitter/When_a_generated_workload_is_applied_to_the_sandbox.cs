using System.Net;
using System.Text.Json;
using Sync.Emitter;

namespace Sync.Sandbox.Tests.Emitter;

/// <summary>The fold and the sandbox agree: applying a workload the way the worker will ends in the folded state.</summary>
public sealed class When_a_generated_workload_is_applied_to_the_sandbox
{
    [Test]
    public async Task Should_end_in_the_expected_state()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { RateLimit = { Enabled = false } });
        var locations = new[] { SandboxApi.LocationA, SandboxApi.LocationB };
        var events = WorkloadGenerator.Generate(new WorkloadOptions { Events = 400, LocationIds = locations, ContactsPerLocation = 25, Seed = 3, RunId = "e2e" });
        var clients = locations.ToDictionary(l => l, l => api.ClientFor(l));

        foreach (var e in events.OrderBy(e => e.OccurredAt))
        {
            var client = clients[e.LocationId];
            if (e.Type == SourceEventTypes.Upserted)
            {
                var id = await api.UpsertAsync(new
                {
                    locationId = e.LocationId, email = e.Contact.Email, phone = e.Contact.Phone,
                    firstName = e.Contact.FirstName, lastName = e.Contact.LastName, companyName = e.Contact.CompanyName,
                }, client);
                if (e.Tags is { Count: > 0 })
                {
                    await BulkAsync(client, "add", e.LocationId, id, e.Tags);
                }

                continue;
            }

            using var found = await client.GetAsync($"contacts/search/duplicate?locationId={e.LocationId}&email={Uri.EscapeDataString(e.Contact.Email!)}");
            var contactId = (await SandboxApi.ReadAsync(found)).GetProperty("contact").GetProperty("id").GetString()!;
            if (e.Type == SourceEventTypes.Deleted)
            {
                using var deleted = await client.DeleteAsync($"contacts/{contactId}");
                Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }
            else
            {
                await BulkAsync(client, e.Type == SourceEventTypes.TagsAdded ? "add" : "remove", e.LocationId, contactId, e.Tags!);
            }
        }

        var expected = ExpectedState.Fold(events);
        foreach (var location in locations)
        {
            var actual = api.State.Contacts.ForLocation(location)
                .Select(c => new ActualContact(c.Email, c.Phone, c.FirstName, c.LastName, c.CompanyName, c.Tags));
            Assert.That(expected.Diff(location, actual), Is.Empty, location);
        }

        foreach (var client in clients.Values)
        {
            client.Dispose();
        }
    }

    private static async Task BulkAsync(HttpClient client, string operation, string locationId, string contactId, IReadOnlyList<string> tags)
    {
        using var response = await client.PostAsync($"contacts/bulk/tags/update/{operation}",
            SandboxApi.Json(new { locationId, contacts = new[] { contactId }, tags }));
        var json = await SandboxApi.ReadAsync(response);
        Assert.That(json.GetProperty("errorCount").GetInt32(), Is.Zero, json.GetRawText());
        _ = json.GetProperty("responses").ValueKind == JsonValueKind.Array;
    }
}
