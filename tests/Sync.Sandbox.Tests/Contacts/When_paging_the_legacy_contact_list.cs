using System.Net;
using System.Text.Json;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_paging_the_legacy_contact_list
{
    private SandboxApi _api = null!;
    private string[] _ids = [];

    [OneTimeSetUp]
    public async Task Seed()
    {
        _api = await SandboxApi.StartAsync();
        using var seed = await _api.BareClient().PostAsync($"_sandbox/locations/{SandboxApi.LocationA}/contacts",
            SandboxApi.Json(new { contacts = Enumerable.Range(0, 45).Select(i => new { email = $"c{i}@example.com" }).ToArray() }));
        _ids = SandboxApi.Strings((await SandboxApi.ReadAsync(seed)).GetProperty("ids"));
    }

    [OneTimeTearDown]
    public async Task Stop() => await _api.DisposeAsync();

    [Test]
    public async Task Should_return_every_contact_once_in_creation_order_following_nextPageUrl()
    {
        var seen = new List<string>();
        var pages = 0;
        string? next = $"contacts/?locationId={SandboxApi.LocationA}&limit=20";
        while (next is not null)
        {
            using var response = await _api.Client.GetAsync(next);
            var json = await SandboxApi.ReadAsync(response);
            seen.AddRange(json.GetProperty("contacts").EnumerateArray().Select(c => c.GetProperty("id").GetString()!));
            var nextUrl = json.GetProperty("meta").GetProperty("nextPageUrl");
            next = nextUrl.ValueKind == JsonValueKind.Null ? null : nextUrl.GetString();
            pages++;
        }

        Assert.That(seen, Is.EqualTo(_ids));
        Assert.That(pages, Is.EqualTo(3));
    }

    [Test]
    public async Task Should_describe_the_page_in_meta()
    {
        using var response = await _api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=20");
        var meta = (await SandboxApi.ReadAsync(response)).GetProperty("meta");
        Assert.That(meta.GetProperty("total").GetInt32(), Is.EqualTo(45));
        Assert.That(meta.GetProperty("startAfterId").GetString(), Is.EqualTo(_ids[19]));
        Assert.That(meta.GetProperty("currentPage").GetInt32(), Is.EqualTo(1));
        Assert.That(meta.GetProperty("nextPage").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task Should_default_to_20_contacts()
    {
        using var response = await _api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");
        Assert.That((await SandboxApi.ReadAsync(response)).GetProperty("contacts").GetArrayLength(), Is.EqualTo(20));
    }

    [Test]
    public async Task Should_answer_422_for_a_limit_over_100()
    {
        using var response = await _api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}&limit=101");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(SandboxApi.Strings((await SandboxApi.ReadAsync(response)).GetProperty("message")), Does.Contain("limit must not be greater than 100"));
    }

    [Test]
    public async Task Should_answer_422_without_a_locationId()
    {
        using var response = await _api.Client.GetAsync("contacts/?limit=10");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
    }
}
