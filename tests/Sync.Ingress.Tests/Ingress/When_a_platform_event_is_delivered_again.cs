using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// The platform retries only after a 429, about 10 minutes later and up to 6 times, with the original body and its
/// original timestamp: such a retry must still be accepted, and a repeat of an accepted event must not be published again.
/// </summary>
[TestFixture]
public sealed class When_a_platform_event_is_delivered_again : IngressFixture
{
    [SetUp]
    public async Task Empty_the_queue() => await Queue.DrainAsync();

    [Test]
    public async Task Should_accept_an_event_signed_30_minutes_ago_once_and_answer_its_second_delivery_duplicate()
    {
        var body = EventBodies.Platform("ContactUpdate", KnownLocation, "wh-retried", DateTimeOffset.UtcNow.AddMinutes(-30));

        var first = await PostSignedPlatformAsync(body);
        var second = await PostSignedPlatformAsync(body);

        Assert.Multiple(async () =>
        {
            Assert.That(await HandoffAsync(first), Is.EqualTo("published"));
            Assert.That(await HandoffAsync(second), Is.EqualTo("duplicate"));
            Assert.That(await Queue.CountAsync(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Should_refuse_an_event_signed_3_hours_ago()
    {
        var body = EventBodies.Platform("ContactUpdate", KnownLocation, "wh-too-old", DateTimeOffset.UtcNow.AddHours(-3));

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.Unauthorized);

        Assert.That(ProblemType(problem), Is.EqualTo("stale-timestamp"));
        Assert.That(await Queue.CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Should_answer_a_source_event_sent_again_with_the_same_webhook_id_duplicate()
    {
        var body = EventBodies.Source("contact.upserted", "evt-resent", KnownLocation, DateTimeOffset.UtcNow);

        var first = await PostSignedSourceAsync(body, "evt-resent");
        var second = await PostSignedSourceAsync(body, "evt-resent", at: DateTimeOffset.UtcNow.AddSeconds(10));

        Assert.Multiple(async () =>
        {
            Assert.That(await HandoffAsync(first), Is.EqualTo("published"));
            Assert.That(await HandoffAsync(second), Is.EqualTo("duplicate"));
            Assert.That(await Queue.CountAsync(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Should_not_answer_duplicate_for_a_forged_copy_of_an_accepted_event()
    {
        var body = EventBodies.Platform("ContactUpdate", KnownLocation, "wh-then-forged", DateTimeOffset.UtcNow);
        await PostSignedPlatformAsync(body);

        var forged = await Ingress.PostPlatformAsync(body, Signer.Sign(EventBodies.Platform("ContactUpdate", KnownLocation, "other", DateTimeOffset.UtcNow)));

        Assert.That(ProblemType(await ReadProblemAsync(forged, HttpStatusCode.Unauthorized)), Is.EqualTo("invalid-signature"));
    }

    private static async Task<string?> HandoffAsync(HttpResponseMessage response)
    {
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("handoff").GetString();
    }
}
