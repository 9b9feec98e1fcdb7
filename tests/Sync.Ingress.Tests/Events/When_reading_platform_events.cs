using System.Text;
using Sync.Core.Webhooks;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Events;

[TestFixture]
public sealed class When_reading_platform_events
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Should_take_the_event_id_from_webhookId()
    {
        var result = PlatformEventReader.Read(EventBodies.Platform("ContactCreate", "loc-1", "wh-9", At));

        Assert.Multiple(() =>
        {
            Assert.That(result.IsValid, Is.True);
            Assert.That(result.Envelope!.EventId, Is.EqualTo("wh-9"));
            Assert.That(result.Envelope.EventType, Is.EqualTo("ContactCreate"));
            Assert.That(result.Envelope.LocationId, Is.EqualTo("loc-1"));
            Assert.That(result.Envelope.OccurredAt, Is.EqualTo(At));
        });
    }

    [TestCase("type")]
    [TestCase("webhookId")]
    [TestCase("timestamp")]
    [TestCase("locationId")]
    public void Should_refuse_an_event_without_a_required_field(string field)
    {
        var result = PlatformEventReader.Read(EventBodies.Platform("ContactCreate", "loc-1", "wh-1", At, body => body.Remove(field)));

        Assert.That(result.Error, Does.Contain(field));
    }

    [Test]
    public void Should_accept_a_company_level_install_without_a_location()
    {
        var body = EventBodies.Platform("INSTALL", null, "wh-2", At, body =>
        {
            body.Remove("locationId");
            body["companyId"] = "company-1";
        });

        Assert.That(PlatformEventReader.Read(body).Envelope?.CompanyId, Is.EqualTo("company-1"));
    }

    [TestCase("2026-11-26 12:00:00")]
    [TestCase("2026-11-26T12:00:00")]
    [TestCase("yesterday")]
    public void Should_refuse_a_timestamp_without_date_time_and_offset(string timestamp)
    {
        var result = PlatformEventReader.Read(EventBodies.Platform("ContactCreate", "loc-1", "wh-1", At, body => body["timestamp"] = timestamp));

        Assert.That(result.Error, Does.Contain("timestamp"));
    }

    [TestCase("{\"type\":")]
    [TestCase("[1,2]")]
    [TestCase("")]
    public void Should_refuse_a_body_that_is_not_a_json_object(string json) =>
        Assert.That(PlatformEventReader.Read(Encoding.UTF8.GetBytes(json)).IsValid, Is.False);
}
