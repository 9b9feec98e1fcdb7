using System.Net;
using System.Text.Json;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_searching_contacts
{
    private SandboxApi _api = null!;
    private string[] _ids = [];

    [OneTimeSetUp]
    public async Task Seed()
    {
        _api = await SandboxApi.StartAsync();
        using var seed = await _api.BareClient().PostAsync($"_sandbox/locations/{SandboxApi.LocationA}/contacts",
            SandboxApi.Json(new { contacts = Enumerable.Range(0, 25).Select(i => new { email = $"s{i}@example.com", tags = i % 5 == 0 ? new[] { "five" } : [] }).ToArray() }));
        _ids = SandboxApi.Strings((await SandboxApi.ReadAsync(seed)).GetProperty("ids"));
    }

    [OneTimeTearDown]
    public async Task Stop() => await _api.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonElement Json)> SearchAsync(object body)
    {
        using var response = await _api.Client.PostAsync("contacts/search", SandboxApi.Json(body));
        return (response.StatusCode, await SandboxApi.ReadAsync(response));
    }

    [Test]
    public async Task Should_walk_every_contact_with_the_searchAfter_cursor()
    {
        var seen = new List<string>();
        object[]? cursor = null;
        while (true)
        {
            var (_, json) = await SearchAsync(cursor is null
                ? new { locationId = SandboxApi.LocationA, pageLimit = 10 }
                : (object)new { locationId = SandboxApi.LocationA, pageLimit = 10, searchAfter = cursor });
            var contacts = json.GetProperty("contacts").EnumerateArray().ToArray();
            if (contacts.Length == 0)
            {
                break;
            }

            seen.AddRange(contacts.Select(c => c.GetProperty("id").GetString()!));
            var last = contacts[^1].GetProperty("searchAfter");
            cursor = [last[0].GetInt64(), last[1].GetString()!];
        }

        Assert.That(seen, Is.EqualTo(_ids));
    }

    [Test]
    public async Task Should_page_with_page_and_report_the_total()
    {
        var (status, json) = await SearchAsync(new { locationId = SandboxApi.LocationA, pageLimit = 10, page = 3 });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(25));
        Assert.That(json.GetProperty("contacts").EnumerateArray().Select(c => c.GetProperty("id").GetString()), Is.EqualTo(_ids[20..]));
    }

    [Test]
    public async Task Should_answer_422_without_pageLimit()
    {
        var (status, json) = await SearchAsync(new { locationId = SandboxApi.LocationA });
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(SandboxApi.Strings(json.GetProperty("message")), Does.Contain("pageLimit should not be empty"));
    }

    [Test]
    public async Task Should_answer_422_for_a_pageLimit_over_500()
    {
        var (status, _) = await SearchAsync(new { locationId = SandboxApi.LocationA, pageLimit = 501 });
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
    }

    [Test]
    public async Task Should_answer_422_pointing_to_searchAfter_beyond_10000_records()
    {
        var (status, json) = await SearchAsync(new { locationId = SandboxApi.LocationA, pageLimit = 500, page = 21 });
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(string.Join(" ", SandboxApi.Strings(json.GetProperty("message"))), Does.Contain("searchAfter"));
    }

    [Test]
    public async Task Should_allow_the_last_page_within_10000_records()
    {
        var (status, _) = await SearchAsync(new { locationId = SandboxApi.LocationA, pageLimit = 500, page = 20 });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_filter_by_tag()
    {
        var (_, json) = await SearchAsync(new
        {
            locationId = SandboxApi.LocationA, pageLimit = 100,
            filters = new[] { new { field = "tags", @operator = "contains", value = "five" } },
        });
        Assert.That(json.GetProperty("total").GetInt32(), Is.EqualTo(5));
    }
}
