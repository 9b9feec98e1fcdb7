using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

[TestFixture]
public sealed class When_a_source_webhook_is_rejected : IngressFixture
{
    [TearDown]
    public async Task Should_not_have_published_anything() => Assert.That(await Queue.CountAsync(), Is.Zero);

    [Test]
    public async Task Should_answer_404_for_a_source_that_is_not_configured()
    {
        var body = Body("evt-nowhere");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var response = await Ingress.PostSourceAsync("erp", body, "evt-nowhere", now.ToString(CultureInfo.InvariantCulture),
            StandardWebhooksSigner.Sign(SourceSecret, "evt-nowhere", now, body));

        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.NotFound)), Is.EqualTo("unknown-source"));
    }

    [Test]
    public async Task Should_answer_401_when_one_byte_of_the_body_changed()
    {
        var body = Body("evt-tampered");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = StandardWebhooksSigner.Sign(SourceSecret, "evt-tampered", now, body);
        body[body.Length / 2] ^= 0x01;

        var response = await Ingress.PostSourceAsync(IngressSettings.SourceName, body, "evt-tampered", now.ToString(CultureInfo.InvariantCulture), signature);

        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.Unauthorized)), Is.EqualTo("invalid-signature"));
    }

    [Test]
    public async Task Should_answer_401_for_a_secret_that_is_not_configured()
    {
        var response = await PostSignedSourceAsync(Body("evt-stranger"), "evt-stranger", secret: StandardWebhooksSigner.NewSecret());

        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.Unauthorized)), Is.EqualTo("invalid-signature"));
    }

    [Test]
    public async Task Should_answer_401_for_an_old_timestamp()
    {
        var response = await PostSignedSourceAsync(Body("evt-old"), "evt-old", at: DateTimeOffset.UtcNow.AddMinutes(-6));

        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.Unauthorized)), Is.EqualTo("stale-timestamp"));
    }

    [Test]
    public async Task Should_answer_401_without_the_standard_webhooks_headers()
    {
        var response = await Ingress.PostSourceAsync(IngressSettings.SourceName, Body("evt-bare"), null, null, null);

        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.Unauthorized)), Is.EqualTo("invalid-signature"));
    }

    [Test]
    public async Task Should_answer_400_when_the_body_id_differs_from_the_webhook_id()
    {
        var response = await PostSignedSourceAsync(Body("evt-a"), "evt-b");

        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("webhook-id"));
    }

    [Test]
    public async Task Should_answer_400_for_a_contact_without_an_identifier()
    {
        var body = Body("evt-anonymous", b => b["contact"] = new JsonObject { ["firstName"] = "Jane" });

        var problem = await ReadProblemAsync(await PostSignedSourceAsync(body, "evt-anonymous"), HttpStatusCode.BadRequest);

        Assert.That(ProblemType(problem), Is.EqualTo("invalid-event"));
    }

    [Test]
    public async Task Should_answer_400_for_a_tag_event_without_tags()
    {
        var body = EventBodies.Source("contact.tags_added", "evt-tagless", KnownLocation, DateTimeOffset.UtcNow, b => b.Remove("tags"));

        var problem = await ReadProblemAsync(await PostSignedSourceAsync(body, "evt-tagless"), HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("tags"));
    }

    [Test]
    public async Task Should_answer_403_for_a_location_that_is_not_installed()
    {
        var body = EventBodies.Source("contact.upserted", "evt-elsewhere", "loc-stranger", DateTimeOffset.UtcNow);

        var problem = await ReadProblemAsync(await PostSignedSourceAsync(body, "evt-elsewhere"), HttpStatusCode.Forbidden);

        Assert.That(ProblemType(problem), Is.EqualTo("unknown-location"));
    }

    [Test]
    public async Task Should_answer_415_for_a_body_that_is_not_json()
    {
        var body = Body("evt-text");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var response = await Ingress.PostSourceAsync(IngressSettings.SourceName, body, "evt-text", now.ToString(CultureInfo.InvariantCulture),
            StandardWebhooksSigner.Sign(SourceSecret, "evt-text", now, body), "text/plain");

        await ReadProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Test]
    public async Task Should_answer_413_for_a_body_over_the_limit()
    {
        var body = Body("evt-big", b => b["notes"] = new string('x', 300 * 1024));

        await ReadProblemAsync(await PostSignedSourceAsync(body, "evt-big"), HttpStatusCode.RequestEntityTooLarge);
    }

    private static byte[] Body(string id, Action<JsonObject>? change = null) =>
        EventBodies.Source("contact.upserted", id, KnownLocation, DateTimeOffset.UtcNow, change);
}
