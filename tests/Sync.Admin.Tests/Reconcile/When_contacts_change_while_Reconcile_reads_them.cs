using System.Net.Http.Json;
using Sync.HoopAi.Api;

namespace Sync.Admin.Tests.Reconcile;

/// <summary>The order the reader walks (creation time, then id) holds while contacts are added and updated during the walk.</summary>
public sealed class When_contacts_change_while_Reconcile_reads_them
{
    [TestCase(ContactPagingMode.Search)]
    [TestCase(ContactPagingMode.Legacy)]
    public async Task Should_read_each_contact_once_and_the_new_ones_after_the_old(ContactPagingMode mode)
    {
        await using var world = await ReconcileSandbox.StartAsync();
        var before = await world.SeedAsync(150, "before");
        var read = new List<string>();
        var added = new List<string>();
        await foreach (var page in world.Client.ReadContactPagesAsync(world.LocationId, new ContactPagingOptions { Mode = mode, PageSize = 40 }, CancellationToken.None))
        {
            read.AddRange(page.Contacts.Select(c => c.Contact.Id));
            if (added.Count == 0)
            {
                // After the first page: new contacts, and an update of a contact already read and of one not read yet.
                added.AddRange(await world.SeedAsync(30, "during", phoneBase: 5_570_000_000));
                using var http = new HttpClient { BaseAddress = world.Sandbox.BaseAddress };
                using var update = await http.PostAsJsonAsync($"_sandbox/locations/{world.LocationId}/contacts",
                    new { contacts = new[] { new { email = "before3@example.com", firstName = "Changed" }, new { email = "before120@example.com", firstName = "Changed" } } });
                update.EnsureSuccessStatusCode();
            }
        }

        Assert.That(read, Is.EqualTo(before.Concat(added).ToList()));
    }
}
