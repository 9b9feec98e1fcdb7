using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Sync.Emitter;

namespace Sync.Sandbox.Tests.Emitter;

public sealed class When_webhooks_are_signed
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"type":"ContactCreate","locationId":"L1","id":"c1","webhookId":"w1"}""");

    [Test]
    public void Should_sign_platform_events_with_Ed25519_that_the_SPKI_public_key_verifies()
    {
        using var signer = Ed25519WebhookSigner.Generate();

        var header = new PlatformWebhookSigner(signer).Sign("w1", Body, DateTimeOffset.UtcNow, corrupt: false)
            .Single(h => h.Key == "X-GHL-Signature").Value;

        var algorithm = SignatureAlgorithm.Ed25519;
        var publicKey = PublicKey.Import(algorithm, Convert.FromBase64String(signer.PublicKeySpkiBase64), KeyBlobFormat.PkixPublicKey);
        Assert.That(algorithm.Verify(publicKey, Body, Convert.FromBase64String(header)), Is.True);
        Assert.That(algorithm.Verify(publicKey, [.. Body, (byte)' '], Convert.FromBase64String(header)), Is.False);
    }

    [Test]
    public void Should_load_the_private_key_it_exported()
    {
        using var original = Ed25519WebhookSigner.Generate();
        using var loaded = Ed25519WebhookSigner.FromPrivateKey(original.ExportPrivateKeyPkcs8Base64());

        Assert.That(loaded.PublicKeySpkiBase64, Is.EqualTo(original.PublicKeySpkiBase64));
    }

    [Test]
    public void Should_add_the_legacy_RSA_signature_that_the_public_key_verifies()
    {
        using var ed = Ed25519WebhookSigner.Generate();
        using var rsaSigner = RsaWebhookSigner.Generate(2048);

        var header = new PlatformWebhookSigner(ed, rsaSigner).Sign("w1", Body, DateTimeOffset.UtcNow, corrupt: false)
            .Single(h => h.Key == "x-wh-signature").Value;

        using var rsa = RSA.Create();
        rsa.ImportFromPem(rsaSigner.PublicKeyPem);
        Assert.That(rsa.VerifyData(Body, Convert.FromBase64String(header), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), Is.True);
    }

    [Test]
    public void Should_sign_source_events_the_Standard_Webhooks_way()
    {
        var secret = StandardWebhookSigner.GenerateSecret();
        var sentAt = DateTimeOffset.FromUnixTimeSeconds(1_767_000_000);

        var headers = new StandardWebhookSigner(secret).Sign("evt_1", Body, sentAt, corrupt: false).ToDictionary(h => h.Key, h => h.Value);

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        byte[] signed = [.. Encoding.UTF8.GetBytes("evt_1.1767000000."), .. Body];
        var expected = Convert.ToBase64String(HMACSHA256.HashData(key, signed));
        Assert.That(secret, Does.StartWith("whsec_"));
        Assert.That(headers["webhook-id"], Is.EqualTo("evt_1"));
        Assert.That(headers["webhook-timestamp"], Is.EqualTo("1767000000"));
        Assert.That(headers["webhook-signature"], Is.EqualTo("v1," + expected));
    }

    [Test]
    public void Should_produce_a_signature_that_does_not_verify_when_asked_to_corrupt_it()
    {
        var secret = StandardWebhookSigner.GenerateSecret();
        var signer = new StandardWebhookSigner(secret);
        var sentAt = DateTimeOffset.UtcNow;

        var good = signer.Sign("evt_1", Body, sentAt, corrupt: false).Single(h => h.Key == "webhook-signature").Value;
        var bad = signer.Sign("evt_1", Body, sentAt, corrupt: true).Single(h => h.Key == "webhook-signature").Value;

        Assert.That(bad, Is.Not.EqualTo(good));
        Assert.That(bad, Does.StartWith("v1,"));
    }
}
