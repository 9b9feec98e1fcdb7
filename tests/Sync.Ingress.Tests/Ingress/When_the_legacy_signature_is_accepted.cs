using System.Net;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>With <c>Sync:Ingress:Platform:AcceptRsa</c> on, the deprecated RSA-SHA256 <c>x-wh-signature</c> is verified too.</summary>
[TestFixture]
public sealed class When_the_legacy_signature_is_accepted : IngressFixture
{
    private readonly LegacyPlatformSigner _legacy = new();

    protected override void Configure(IngressSettings settings) =>
        settings.Set("Sync:Ingress:Platform:AcceptRsa", "true").Set("Sync:Ingress:Platform:RsaPublicKey", _legacy.PublicKeyPem);

    [OneTimeTearDown]
    public void Dispose_key() => _legacy.Dispose();

    [Test]
    public async Task Should_queue_an_event_signed_only_with_the_legacy_key()
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-legacy-ok", DateTimeOffset.UtcNow);

        var response = await Ingress.PostPlatformAsync(body, null, legacySignature: _legacy.Sign(body));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Queue.DrainAsync()).Count, Is.EqualTo(1));
    }

    [Test]
    public async Task Should_answer_401_for_a_legacy_signature_over_other_bytes()
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-legacy-bad", DateTimeOffset.UtcNow);
        var signature = _legacy.Sign(body);
        body[^3] ^= 0x01;

        var response = await Ingress.PostPlatformAsync(body, null, legacySignature: signature);

        await ReadProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.That(await Queue.CountAsync(), Is.Zero);
    }
}
