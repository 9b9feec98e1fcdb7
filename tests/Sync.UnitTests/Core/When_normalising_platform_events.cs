using Sync.Contracts;
using Sync.Core.Events;

namespace Sync.UnitTests.Core;

public sealed class When_normalising_platform_events
{
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static WebhookReceived Platform(string type, string payload, string? location = "loc-1") =>
        new("hoopai", "wh-1", type, location, At, At.AddSeconds(1), payload);

    [Test]
    public void Should_turn_a_contact_create_into_index_fresh_state_with_normalised_keys()
    {
        var result = WebhookNormalizer.Normalize(Platform("ContactCreate",
            """{"type":"ContactCreate","locationId":"loc-1","id":"c-1","email":" John@Example.com ","phone":"+1 (555) 010-2000","tags":["Lead","lead"," VIP "]}"""));

        var changed = (PlatformContactChanged)result;
        Assert.Multiple(() =>
        {
            Assert.That(changed with { Tags = null }, Is.EqualTo(new PlatformContactChanged("wh-1", "loc-1", At, "c-1", "john@example.com", "+15550102000", null)));
            Assert.That(changed.Tags, Is.EqualTo(new[] { "lead", "vip" }));
        });
    }

    [Test]
    public void Should_turn_a_contact_delete_into_a_platform_delete() =>
        Assert.That(WebhookNormalizer.Normalize(Platform("ContactDelete", """{"id":"c-9"}""")),
            Is.EqualTo(new PlatformContactDeleted("wh-1", "loc-1", At, "c-9")));

    [Test]
    public void Should_turn_install_into_app_installed_with_its_company() =>
        Assert.That(WebhookNormalizer.Normalize(Platform("INSTALL", """{"type":"INSTALL","companyId":"co-1","locationId":"loc-1"}""")),
            Is.EqualTo(new AppInstalled("wh-1", "loc-1", At, "co-1")));

    [Test]
    public void Should_turn_uninstall_into_app_uninstalled() =>
        Assert.That(WebhookNormalizer.Normalize(Platform("UNINSTALL", """{"type":"UNINSTALL"}""")),
            Is.EqualTo(new AppUninstalled("wh-1", "loc-1", At)));

    [Test]
    public void Should_ignore_an_event_type_sync_has_no_work_for() =>
        Assert.That(WebhookNormalizer.Normalize(Platform("ContactDndUpdate", """{"id":"c-1"}""")),
            Is.EqualTo(new EventIgnored("wh-1", "loc-1", At, "ContactDndUpdate")));

    [Test]
    public void Should_reject_a_contact_event_without_the_contact_id() =>
        Assert.That(() => WebhookNormalizer.Normalize(Platform("ContactUpdate", """{"email":"a@b.c"}""")),
            Throws.TypeOf<InvalidEventException>().With.Message.Contains("'id'"));

    [Test]
    public void Should_reject_an_event_without_a_location() =>
        Assert.That(() => WebhookNormalizer.Normalize(Platform("ContactUpdate", """{"id":"c-1"}""", location: null)),
            Throws.TypeOf<InvalidEventException>().With.Message.Contains("locationId"));

    [Test]
    public void Should_reject_a_payload_that_is_not_json() =>
        Assert.That(() => WebhookNormalizer.Normalize(Platform("ContactUpdate", "{not json")),
            Throws.TypeOf<InvalidEventException>());
}
