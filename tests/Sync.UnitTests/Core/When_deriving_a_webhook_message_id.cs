using Sync.Core;

namespace Sync.UnitTests.Core;

public sealed class When_deriving_a_webhook_message_id
{
    // Pinned: a change here would make every in-flight duplicate look new after an upgrade.
    private const string KnownId = "b080a91b-7b12-8e8d-b8a2-3ec1a585b455";

    [Test]
    public void Should_give_the_same_id_for_the_same_source_and_event()
    {
        var first = DeterministicId.ForWebhook("hoopai", "abc123");
        var second = DeterministicId.ForWebhook("hoopai", "abc123");

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Should_be_stable_across_processes_and_releases() =>
        Assert.That(DeterministicId.ForWebhook("hoopai", "abc123").ToString(), Is.EqualTo(KnownId));

    [Test]
    public void Should_ignore_the_case_of_the_source() =>
        Assert.That(DeterministicId.ForWebhook("CRM", "e-1"), Is.EqualTo(DeterministicId.ForWebhook("crm", "e-1")));

    [Test]
    public void Should_differ_between_events() =>
        Assert.That(DeterministicId.ForWebhook("hoopai", "abc123"), Is.Not.EqualTo(DeterministicId.ForWebhook("hoopai", "abc124")));

    [Test]
    public void Should_differ_between_sources_with_the_same_event_id() =>
        Assert.That(DeterministicId.ForWebhook("crm", "e-1"), Is.Not.EqualTo(DeterministicId.ForWebhook("shop", "e-1")));

    [Test]
    public void Should_not_collide_when_source_and_id_are_split_differently() =>
        Assert.That(DeterministicId.ForWebhook("ab", "c"), Is.Not.EqualTo(DeterministicId.ForWebhook("a", "bc")));

    [Test]
    public void Should_be_a_version_8_rfc_9562_uuid()
    {
        var text = DeterministicId.ForWebhook("hoopai", "abc123").ToString();

        Assert.Multiple(() =>
        {
            Assert.That(text[14], Is.EqualTo('8'), "version nibble");
            Assert.That(text[19], Is.AnyOf('8', '9', 'a', 'b'), "variant bits");
        });
    }

    [Test]
    public void Should_reject_an_empty_event_id() =>
        Assert.Throws<ArgumentException>(() => DeterministicId.ForWebhook("hoopai", " "));
}
