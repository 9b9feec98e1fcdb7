using System.Net;

namespace Sync.Sandbox.Tests.Inspection;

public sealed class When_inspecting_the_sandbox
{
    [Test]
    public async Task Should_count_calls_per_route_template_and_status()
    {
        await using var api = await SandboxApi.StartAsync();
        var id = await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "a@example.com" });
        (await api.Client.GetAsync($"contacts/{id}")).Dispose();
        (await api.Client.GetAsync("contacts/AAAAAAAAAAAAAAAAAAAA")).Dispose();

        using var response = await api.BareClient().GetAsync("_sandbox/requests");
        var counts = (await SandboxApi.ReadAsync(response)).GetProperty("requests").EnumerateArray()
            .Select(r => $"{r.GetProperty("method").GetString()} {r.GetProperty("route").GetString()} {r.GetProperty("status").GetInt32()} {r.GetProperty("count").GetInt64()}");

        Assert.That(counts, Is.EquivalentTo(new[] { "POST /contacts/upsert 201 1", "GET /contacts/{id} 200 1", "GET /contacts/{id} 404 1" }));
    }

    [Test]
    public async Task Should_show_a_locations_contacts_with_their_tags()
    {
        await using var api = await SandboxApi.StartAsync();
        await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "a@example.com", tags = new[] { "x" } });

        using var response = await api.BareClient().GetAsync($"_sandbox/locations/{SandboxApi.LocationA}/contacts");
        var json = await SandboxApi.ReadAsync(response);

        Assert.That(json.GetProperty("count").GetInt32(), Is.EqualTo(1));
        Assert.That(SandboxApi.Strings(json.GetProperty("contacts")[0].GetProperty("tags")), Is.EqualTo(new[] { "x" }));
    }

    [Test]
    public async Task Should_wipe_contacts_tokens_and_counts_on_reset()
    {
        await using var api = await SandboxApi.StartAsync();
        await api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "a@example.com" });

        using var reset = await api.BareClient().PostAsync("_sandbox/reset", null);
        using var call = await api.Client.GetAsync($"contacts/?locationId={SandboxApi.LocationA}");

        Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(api.State.Contacts.Count, Is.Zero);
        Assert.That(call.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(api.State.Requests.Snapshot().Select(r => r.Status), Is.EqualTo(new[] { 401 }));
    }

    [Test]
    public async Task Should_need_neither_a_token_nor_the_Version_header_nor_budget()
    {
        await using var api = await SandboxApi.StartAsync(new SandboxOptions { RateLimit = { BurstLimit = 1 }, Faults = { Error500Percent = 100 } });

        using var first = await api.BareClient().GetAsync("_sandbox/health");
        using var second = await api.BareClient().GetAsync("_sandbox/faults");

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_answer_404_as_json_for_an_unknown_api_route()
    {
        await using var api = await SandboxApi.StartAsync();

        using var response = await api.Client.GetAsync("opportunities/");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await SandboxApi.ReadAsync(response)).GetProperty("traceId").GetString(), Is.Not.Empty);
    }
}
