using System.Net;
using System.Text.Json;

namespace Sync.Sandbox.Tests.Contacts;

public sealed class When_the_same_contact_is_upserted_twice
{
    private SandboxApi _api = null!;
    private HttpStatusCode _firstStatus, _secondStatus;
    private JsonElement _first, _second;

    [OneTimeSetUp]
    public async Task Upsert_twice()
    {
        _api = await SandboxApi.StartAsync();
        using var first = await _api.Client.PostAsync("contacts/upsert", SandboxApi.Json(new
        {
            locationId = SandboxApi.LocationA, email = "jane@example.com", firstName = "Jane", companyName = "Acme",
        }));
        _firstStatus = first.StatusCode;
        _first = await SandboxApi.ReadAsync(first);
        using var second = await _api.Client.PostAsync("contacts/upsert", SandboxApi.Json(new
        {
            locationId = SandboxApi.LocationA, email = "JANE@example.com", lastName = "Doe",
        }));
        _secondStatus = second.StatusCode;
        _second = await SandboxApi.ReadAsync(second);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _api.DisposeAsync();

    [Test]
    public void Should_return_the_same_id_with_new_false()
    {
        Assert.That(_second.GetProperty("contact").GetProperty("id").GetString(), Is.EqualTo(_first.GetProperty("contact").GetProperty("id").GetString()));
        Assert.That(_first.GetProperty("new").GetBoolean(), Is.True);
        Assert.That(_second.GetProperty("new").GetBoolean(), Is.False);
    }

    [Test]
    public void Should_answer_201_for_the_new_contact_and_200_for_the_update()
    {
        Assert.That(_firstStatus, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(_secondStatus, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public void Should_leave_fields_absent_from_the_second_body_unchanged()
    {
        var contact = _second.GetProperty("contact");
        Assert.That(contact.GetProperty("firstName").GetString(), Is.EqualTo("Jane"));
        Assert.That(contact.GetProperty("companyName").GetString(), Is.EqualTo("Acme"));
        Assert.That(contact.GetProperty("lastName").GetString(), Is.EqualTo("Doe"));
    }

    [Test]
    public void Should_keep_one_contact_in_the_location() =>
        Assert.That(_api.State.Contacts.ForLocation(SandboxApi.LocationA), Has.Count.EqualTo(1));

    [Test]
    public void Should_give_an_id_of_20_alphanumeric_characters() =>
        Assert.That(_first.GetProperty("contact").GetProperty("id").GetString(), Does.Match("^[A-Za-z0-9]{20}$"));

    [Test]
    public void Should_carry_a_trace_id() =>
        Assert.That(_second.GetProperty("traceId").GetString(), Is.Not.Empty);
}
