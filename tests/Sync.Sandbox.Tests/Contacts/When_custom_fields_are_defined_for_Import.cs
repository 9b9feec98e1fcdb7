using System.Net;
using System.Text.Json;

namespace Sync.Sandbox.Tests.Contacts;

/// <summary>
/// Custom fields, as imports and source events use them: a location's definitions are set through
/// <c>PUT /_sandbox/locations/{id}/customFields</c>, listed by <c>GET /locations/{id}/customFields</c>, and an upsert
/// names a field by id or key; values are kept under the field's id; a field the location does not define is refused.
/// </summary>
public sealed class When_custom_fields_are_defined_for_Import
{
    private SandboxApi _api = null!;

    [SetUp]
    public async Task Start()
    {
        _api = await SandboxApi.StartAsync();
        using var bare = _api.BareClient();
        using var define = await bare.PutAsync($"_sandbox/locations/{SandboxApi.LocationA}/customFields", SandboxApi.Json(new
        {
            customFields = new object[]
            {
                new { fieldKey = "contact.favourite_colour", name = "Favourite colour" },
                new { fieldKey = "Score", dataType = "NUMERICAL" },
            },
        }));
        Assert.That(define.StatusCode, Is.EqualTo(HttpStatusCode.OK), await define.Content.ReadAsStringAsync());
    }

    [TearDown]
    public async Task Stop() => await _api.DisposeAsync();

    private async Task<JsonElement[]> ListAsync(HttpClient? client = null)
    {
        using var response = await (client ?? _api.Client).GetAsync($"locations/{SandboxApi.LocationA}/customFields?model=contact");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return [.. (await SandboxApi.ReadAsync(response)).GetProperty("customFields").EnumerateArray()];
    }

    [Test]
    public async Task Should_list_the_definitions_with_ids_and_prefixed_keys()
    {
        var fields = await ListAsync();

        Assert.That(fields.Select(f => f.GetProperty("fieldKey").GetString()), Is.EqualTo(new[] { "contact.favourite_colour", "contact.score" }));
        Assert.That(fields.Select(f => f.GetProperty("id").GetString()!.Length), Is.EqualTo(new[] { 20, 20 }));
        Assert.That(fields.Select(f => f.GetProperty("dataType").GetString()), Is.EqualTo(new[] { "TEXT", "NUMERICAL" }));
        Assert.That(fields.Select(f => f.GetProperty("model").GetString()), Is.EqualTo(new[] { "contact", "contact" }));
    }

    [Test]
    public async Task Should_keep_a_fields_id_when_the_definitions_are_replaced()
    {
        var before = (await ListAsync())[0].GetProperty("id").GetString();
        using var bare = _api.BareClient();
        using var again = await bare.PutAsync($"_sandbox/locations/{SandboxApi.LocationA}/customFields",
            SandboxApi.Json(new { customFields = new object[] { new { fieldKey = "favourite_colour" } } }));

        var after = await ListAsync();

        Assert.That(after.Select(f => f.GetProperty("id").GetString()), Is.EqualTo(new[] { before }));
    }

    [Test]
    public async Task Should_store_values_set_by_id_or_by_key_under_the_fields_id()
    {
        var fields = await ListAsync();
        var colourId = fields[0].GetProperty("id").GetString()!;
        var scoreId = fields[1].GetProperty("id").GetString()!;

        var id = await _api.UpsertAsync(new
        {
            locationId = SandboxApi.LocationA,
            email = "cf@example.com",
            customFields = new object[] { new { id = colourId, field_value = "blue" }, new { key = "contact.score", field_value = 7 } },
        });

        var stored = _api.State.Contacts.Find(id)!.CustomFields;
        Assert.That(stored.Select(f => (f.Id, f.Value.ToString())), Is.EquivalentTo(new[] { (colourId, "blue"), (scoreId, "7") }));
    }

    [Test]
    public async Task Should_refuse_a_field_the_location_does_not_define()
    {
        using var response = await _api.Client.PostAsync("contacts/upsert", SandboxApi.Json(new
        {
            locationId = SandboxApi.LocationA,
            email = "cf@example.com",
            customFields = new object[] { new { key = "contact.shoe_size", field_value = "9" } },
        }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("contact.shoe_size"));
        Assert.That(_api.State.Contacts.ForLocation(SandboxApi.LocationA), Is.Empty);
    }

    [Test]
    public async Task Should_not_show_one_locations_fields_to_another_locations_token()
    {
        using var other = _api.ClientFor(SandboxApi.LocationB);

        using var response = await other.GetAsync($"locations/{SandboxApi.LocationA}/customFields");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Should_count_reads_of_the_definitions_by_route()
    {
        await ListAsync();
        await ListAsync();

        Assert.That(_api.State.Requests.Count("/locations/{locationId}/customFields", 200), Is.EqualTo(2));
    }
}
