using System.Net;
using System.Text.Json;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_searching_for_a_duplicate
{
    private SandboxApi _api = null!;
    private string _id = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _api = await SandboxApi.StartAsync();
        _id = await _api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "dup+1@example.com", phone = "+15551234567" });
    }

    [OneTimeTearDown]
    public async Task Stop() => await _api.DisposeAsync();

    [Test]
    public async Task Should_find_the_contact_by_url_encoded_email_in_any_case()
    {
        using var response = await _api.Client.GetAsync($"contacts/search/duplicate?locationId={SandboxApi.LocationA}&email={Uri.EscapeDataString("DUP+1@example.com")}");
        Assert.That((await SandboxApi.ReadAsync(response)).GetProperty("contact").GetProperty("id").GetString(), Is.EqualTo(_id));
    }

    [Test]
    public async Task Should_find_the_contact_by_number()
    {
        using var response = await _api.Client.GetAsync($"contacts/search/duplicate?locationId={SandboxApi.LocationA}&number={Uri.EscapeDataString("+1 555 123 4567")}");
        Assert.That((await SandboxApi.ReadAsync(response)).GetProperty("contact").GetProperty("id").GetString(), Is.EqualTo(_id));
    }

    [Test]
    public async Task Should_answer_contact_null_when_there_is_none()
    {
        using var response = await _api.Client.GetAsync($"contacts/search/duplicate?locationId={SandboxApi.LocationA}&email=none%40example.com");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var json = await SandboxApi.ReadAsync(response);
        Assert.That(json.TryGetProperty("contact", out var contact), Is.True);
        Assert.That(contact.ValueKind, Is.EqualTo(JsonValueKind.Null));
    }
}
