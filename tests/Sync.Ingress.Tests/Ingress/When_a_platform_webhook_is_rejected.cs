using System.Net;
using System.Text;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

[TestFixture]
public sealed class When_a_platform_webhook_is_rejected : IngressFixture
{
    [TearDown]
    public async Task Should_not_have_published_anything() => Assert.That(await Queue.CountAsync(), Is.Zero);

    [Test]
    public async Task Should_answer_401_when_one_byte_of_the_body_changed()
    {
        var body = Body("wh-tampered");
        var signature = Signer.Sign(body);
        body[body.Length / 2] ^= 0x01;

        var problem = await ReadProblemAsync(await Ingress.PostPlatformAsync(body, signature), HttpStatusCode.Unauthorized);

        Assert.That(ProblemType(problem), Is.EqualTo("invalid-signature"));
    }

    [Test]
    public async Task Should_answer_401_without_a_signature()
    {
        var problem = await ReadProblemAsync(await Ingress.PostPlatformAsync(Body("wh-unsigned"), null), HttpStatusCode.Unauthorized);

        Assert.That(ProblemType(problem), Is.EqualTo("invalid-signature"));
    }

    [Test]
    public async Task Should_answer_401_for_a_signature_made_with_another_key()
    {
        using var stranger = new PlatformSigner();
        var body = Body("wh-stranger");

        var problem = await ReadProblemAsync(await Ingress.PostPlatformAsync(body, stranger.Sign(body)), HttpStatusCode.Unauthorized);

        Assert.That(ProblemType(problem), Is.EqualTo("invalid-signature"));
    }

    [Test]
    public async Task Should_answer_401_for_a_legacy_signature_while_the_legacy_scheme_is_off()
    {
        using var legacy = new LegacyPlatformSigner();
        var body = Body("wh-legacy");

        var response = await Ingress.PostPlatformAsync(body, null, legacySignature: legacy.Sign(body));

        await ReadProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [TestCase(6)]
    [TestCase(-180)]
    public async Task Should_answer_401_for_a_timestamp_more_than_five_minutes_ahead_or_two_hours_old(int minutes)
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, $"wh-stale{minutes}", DateTimeOffset.UtcNow.AddMinutes(minutes));

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.Unauthorized);

        Assert.That(ProblemType(problem), Is.EqualTo("stale-timestamp"));
    }

    [Test]
    public async Task Should_answer_413_for_a_body_over_the_limit()
    {
        var body = Body("wh-big", padding: 300 * 1024);

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.RequestEntityTooLarge);

        Assert.That(ProblemType(problem), Is.EqualTo("payload-too-large"));
    }

    [Test]
    public async Task Should_answer_413_for_a_chunked_body_over_the_limit()
    {
        var body = Body("wh-big-chunked", padding: 300 * 1024);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/hoopai")
        {
            Content = new StreamContent(new UnknownLengthStream(body)),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("X-GHL-Signature", Signer.Sign(body));

        await ReadProblemAsync(await Ingress.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
    }

    [TestCase("text/plain")]
    [TestCase("application/x-www-form-urlencoded")]
    [TestCase("application/json; charset=iso-8859-1")]
    public async Task Should_answer_415_for_a_body_that_is_not_utf8_json(string contentType)
    {
        var body = Body("wh-type");

        var problem = await ReadProblemAsync(await Ingress.PostPlatformAsync(body, Signer.Sign(body), contentType), HttpStatusCode.UnsupportedMediaType);

        Assert.That(ProblemType(problem), Is.EqualTo("unsupported-media-type"));
    }

    [Test]
    public async Task Should_answer_400_for_malformed_json()
    {
        var body = Encoding.UTF8.GetBytes("""{"type":"ContactCreate","webhookId":""");

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.BadRequest);

        Assert.That(ProblemType(problem), Is.EqualTo("invalid-event"));
    }

    [TestCase("webhookId")]
    [TestCase("type")]
    [TestCase("timestamp")]
    [TestCase("locationId")]
    public async Task Should_answer_400_naming_a_missing_field(string field)
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-missing-" + field, DateTimeOffset.UtcNow, b => b.Remove(field));

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain(field));
    }

    [Test]
    public async Task Should_answer_403_for_a_location_that_is_not_installed()
    {
        var body = EventBodies.Platform("ContactCreate", "loc-stranger", "wh-stranger-location", DateTimeOffset.UtcNow);

        var problem = await ReadProblemAsync(await PostSignedPlatformAsync(body), HttpStatusCode.Forbidden);

        Assert.That(ProblemType(problem), Is.EqualTo("unknown-location"));
    }

    [Test]
    public async Task Should_not_echo_the_signature()
    {
        var body = Body("wh-echo");
        var signature = Signer.Sign(Body("wh-other"));

        var response = await Ingress.PostPlatformAsync(body, signature);

        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain(signature));
    }

    private static byte[] Body(string webhookId, int padding = 0) =>
        EventBodies.Platform("ContactCreate", KnownLocation, webhookId, DateTimeOffset.UtcNow,
            b => { if (padding > 0) { b["notes"] = new string('x', padding); } });

    /// <summary>A stream that does not tell its length, so the client sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
