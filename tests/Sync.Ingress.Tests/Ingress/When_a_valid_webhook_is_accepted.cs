using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Sync.Core;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

[TestFixture]
public sealed class When_a_valid_webhook_is_accepted : IngressFixture
{
    private readonly string _rotatedSecret = StandardWebhooksSigner.NewSecret();

    protected override void Configure(IngressSettings settings) =>
        settings.Set($"Sync:Ingress:Sources:{IngressSettings.SourceName}:Secrets:1", _rotatedSecret);

    [SetUp]
    public async Task Empty_the_queue() => await Queue.DrainAsync();

    [Test]
    public async Task Should_queue_a_platform_event_exactly_once_after_answering_200()
    {
        var response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", KnownLocation, "wh-once", DateTimeOffset.UtcNow));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Queue.DrainAsync()).Select(m => m.MessageId),
            Is.EqualTo(new[] { DeterministicId.ForWebhook("hoopai", "wh-once").ToString() }));
    }

    [Test]
    public async Task Should_queue_a_source_event_exactly_once_after_answering_200()
    {
        var body = EventBodies.Source("contact.upserted", "evt-once", KnownLocation, DateTimeOffset.UtcNow);

        var response = await PostSignedSourceAsync(body, "evt-once");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Queue.DrainAsync()).Select(m => m.MessageId),
            Is.EqualTo(new[] { DeterministicId.ForWebhook(IngressSettings.SourceName, "evt-once").ToString() }));
    }

    [Test]
    public async Task Should_hand_over_the_raw_body_and_the_envelope()
    {
        var body = EventBodies.Platform("ContactTagUpdate", KnownLocation, "wh-content", DateTimeOffset.UtcNow.AddSeconds(-30));

        await PostSignedPlatformAsync(body);

        var message = JsonDocument.Parse((await Queue.DrainAsync()).Single().Body).RootElement.GetProperty("message");
        Assert.Multiple(() =>
        {
            Assert.That(message.GetProperty("source").GetString(), Is.EqualTo("hoopai"));
            Assert.That(message.GetProperty("eventId").GetString(), Is.EqualTo("wh-content"));
            Assert.That(message.GetProperty("eventType").GetString(), Is.EqualTo("ContactTagUpdate"));
            Assert.That(message.GetProperty("locationId").GetString(), Is.EqualTo(KnownLocation));
            Assert.That(message.GetProperty("payload").GetString(), Is.EqualTo(Encoding.UTF8.GetString(body)));
        });
    }

    [Test]
    public async Task Should_hand_over_exactly_the_signed_bytes()
    {
        var text = "{ \"type\": \"ContactCreate\",\n  \"locationId\": \"" + KnownLocation + "\", \"firstName\": \"Jos\u00e9 \\u00e9 \\ud83d\\ude00 😀\"," +
                   " \"timestamp\": \"" + DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) +
                   "\", \"webhookId\": \"wh-exact\", \"appId\": \"" + IngressSettings.AppId + "\" }";
        var body = Encoding.UTF8.GetBytes(text);

        await PostSignedPlatformAsync(body);

        var payload = JsonDocument.Parse((await Queue.DrainAsync()).Single().Body).RootElement.GetProperty("message").GetProperty("payload").GetString()!;
        Assert.That(Encoding.UTF8.GetBytes(payload), Is.EqualTo(body));
    }

    [Test]
    public async Task Should_answer_with_the_event_and_message_ids()
    {
        var response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", KnownLocation, "wh-answer", DateTimeOffset.UtcNow));

        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(answer.GetProperty("eventId").GetString(), Is.EqualTo("wh-answer"));
            Assert.That(answer.GetProperty("messageId").GetGuid(), Is.EqualTo(DeterministicId.ForWebhook("hoopai", "wh-answer")));
            Assert.That(answer.GetProperty("handoff").GetString(), Is.EqualTo("published"));
        });
    }

    [Test]
    public async Task Should_accept_an_install_for_a_location_not_yet_installed()
    {
        var response = await PostSignedPlatformAsync(EventBodies.Platform("INSTALL", "loc-new", "wh-install", DateTimeOffset.UtcNow));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Queue.CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Should_accept_a_location_installed_after_the_ingress_started()
    {
        await InstallAsync("loc-later");

        var response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", "loc-later", "wh-later", DateTimeOffset.UtcNow));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_accept_a_signature_made_with_a_second_configured_secret()
    {
        var body = EventBodies.Source("contact.tags_removed", "evt-rotated", KnownLocation, DateTimeOffset.UtcNow);

        var response = await PostSignedSourceAsync(body, "evt-rotated", secret: _rotatedSecret);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Should_log_one_line_for_the_webhook_without_payload_or_signature()
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-logged", DateTimeOffset.UtcNow);
        var signature = Signer.Sign(body);

        await Ingress.PostPlatformAsync(body, signature);

        var lines = Ingress.Logs.Lines.Where(line => line.Contains("wh-logged", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Count.EqualTo(1));
            Assert.That(lines[0], Does.Contain("ContactCreate").And.Contain(KnownLocation).And.Contain("published"));
            Assert.That(Ingress.Logs.Lines, Has.None.Contain(signature));
            Assert.That(Ingress.Logs.Lines, Has.None.Contain("jane@example.com"));
            Assert.That(Ingress.Logs.Lines, Has.None.Contain(SourceSecret["whsec_".Length..]));
        });
    }
}
