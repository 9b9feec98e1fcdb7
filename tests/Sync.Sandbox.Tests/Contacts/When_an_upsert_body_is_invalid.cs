using System.Net;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_an_upsert_body_is_invalid
{
    private SandboxApi _api = null!;

    [OneTimeSetUp]
    public async Task Start() => _api = await SandboxApi.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _api.DisposeAsync();

    private async Task<(HttpStatusCode Status, string[] Messages)> UpsertAsync(string body)
    {
        using var response = await _api.Client.PostAsync("contacts/upsert", SandboxApi.Json(body));
        var json = await SandboxApi.ReadAsync(response);
        return (response.StatusCode, response.StatusCode == HttpStatusCode.UnprocessableEntity ? SandboxApi.Strings(json.GetProperty("message")) : []);
    }

    [Test]
    public async Task Should_answer_422_naming_a_missing_locationId()
    {
        var (status, messages) = await UpsertAsync("""{"email":"a@example.com"}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(messages, Does.Contain("locationId should not be empty"));
    }

    [Test]
    public async Task Should_answer_422_naming_a_property_the_api_does_not_know()
    {
        var (status, messages) = await UpsertAsync($$"""{"locationId":"{{SandboxApi.LocationA}}","contactIds":[]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(messages, Does.Contain("property contactIds should not exist"));
    }

    [Test]
    public async Task Should_answer_422_for_an_invalid_email()
    {
        var (status, messages) = await UpsertAsync($$"""{"locationId":"{{SandboxApi.LocationA}}","email":"not-an-email"}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(messages, Does.Contain("email must be an email"));
    }

    [Test]
    public async Task Should_answer_422_when_tags_is_not_an_array_of_strings()
    {
        var (status, messages) = await UpsertAsync($$"""{"locationId":"{{SandboxApi.LocationA}}","tags":"vip"}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(messages, Does.Contain("tags must be an array"));
    }

    [Test]
    public async Task Should_answer_400_for_malformed_json()
    {
        var (status, _) = await UpsertAsync("{\"locationId\":");
        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Should_store_nothing()
    {
        await UpsertAsync("""{"email":"nobody@example.com"}""");
        Assert.That(_api.State.Contacts.Count, Is.Zero);
    }
}
