using System.Net;
using System.Text.Json;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_bulk_adding_tags_with_a_foreign_contact
{
    private SandboxApi _api = null!;
    private string[] _own = [];
    private string _foreign = "";
    private HttpStatusCode _status;
    private JsonElement _response;

    [OneTimeSetUp]
    public async Task Bulk_add()
    {
        _api = await SandboxApi.StartAsync();
        _own = [
            await _api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "one@example.com", tags = new[] { "existing" } }),
            await _api.UpsertAsync(new { locationId = SandboxApi.LocationA, email = "two@example.com" }),
        ];
        using var other = _api.ClientFor(SandboxApi.LocationB);
        _foreign = await _api.UpsertAsync(new { locationId = SandboxApi.LocationB, email = "three@example.com" }, other);

        using var response = await _api.Client.PostAsync("contacts/bulk/tags/update/add", SandboxApi.Json(new
        {
            locationId = SandboxApi.LocationA,
            contacts = new[] { _own[0], _foreign, _own[1] },
            tags = new[] { "VIP", "newsletter" },
        }));
        _status = response.StatusCode;
        _response = await SandboxApi.ReadAsync(response);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _api.DisposeAsync();

    [Test]
    public void Should_answer_201_with_errorCount_1()
    {
        Assert.That(_status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(_response.GetProperty("errorCount").GetInt32(), Is.EqualTo(1));
        Assert.That(_response.GetProperty("succeded").GetBoolean(), Is.True);
    }

    [Test]
    public void Should_report_each_contact_in_order()
    {
        var responses = _response.GetProperty("responses").EnumerateArray().ToArray();
        Assert.That(responses.Select(r => r.GetProperty("contactId").GetString()), Is.EqualTo(new[] { _own[0], _foreign, _own[1] }));
        Assert.That(responses.Select(r => r.GetProperty("type").GetString()), Is.EqualTo(new[] { "success", "error", "success" }));
        Assert.That(SandboxApi.Strings(responses[0].GetProperty("oldTags")), Is.EqualTo(new[] { "existing" }));
    }

    [Test]
    public void Should_tag_the_other_contacts()
    {
        Assert.That(_api.State.Contacts.Find(_own[0])!.Tags, Is.EquivalentTo(new[] { "existing", "vip", "newsletter" }));
        Assert.That(_api.State.Contacts.Find(_own[1])!.Tags, Is.EquivalentTo(new[] { "vip", "newsletter" }));
    }

    [Test]
    public void Should_leave_the_foreign_contact_untouched() =>
        Assert.That(_api.State.Contacts.Find(_foreign)!.Tags, Is.Empty);
}
