using System.Net;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_a_bulk_call_is_invalid
{
    private SandboxApi _api = null!;

    [OneTimeSetUp]
    public async Task Start() => _api = await SandboxApi.StartAsync(new SandboxOptions { RateLimit = { BulkTagsMaxContacts = 3 } });

    [OneTimeTearDown]
    public async Task Stop() => await _api.DisposeAsync();

    [Test]
    public async Task Should_answer_422_for_more_contacts_than_the_maximum()
    {
        using var response = await _api.Client.PostAsync("contacts/bulk/tags/update/add", SandboxApi.Json(new
        {
            locationId = SandboxApi.LocationA, contacts = new[] { "a", "b", "c", "d" }, tags = new[] { "x" },
        }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(SandboxApi.Strings((await SandboxApi.ReadAsync(response)).GetProperty("message")), Does.Contain("contacts must contain no more than 3 elements"));
    }

    [Test]
    public async Task Should_answer_422_naming_contactIds_sent_instead_of_contacts()
    {
        using var response = await _api.Client.PostAsync("contacts/bulk/tags/update/add", SandboxApi.Json(new
        {
            locationId = SandboxApi.LocationA, contactIds = new[] { "a" }, tags = new[] { "x" },
        }));

        var messages = SandboxApi.Strings((await SandboxApi.ReadAsync(response)).GetProperty("message"));
        Assert.That(messages, Does.Contain("property contactIds should not exist").And.Contain("contacts should not be empty"));
    }

    [Test]
    public async Task Should_answer_403_for_another_locationId()
    {
        using var response = await _api.Client.PostAsync("contacts/bulk/tags/update/add", SandboxApi.Json(new
        {
            locationId = SandboxApi.LocationB, contacts = new[] { "a" }, tags = new[] { "x" },
        }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Should_answer_422_for_an_unknown_operation()
    {
        using var response = await _api.Client.PostAsync("contacts/bulk/tags/update/replace", SandboxApi.Json(new
        {
            locationId = SandboxApi.LocationA, contacts = new[] { "a" }, tags = new[] { "x" },
        }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
    }
}
