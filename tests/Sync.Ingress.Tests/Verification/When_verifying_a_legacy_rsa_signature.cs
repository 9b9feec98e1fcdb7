using Sync.HoopAi.Webhooks;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Verification;

[TestFixture]
public sealed class When_verifying_a_legacy_rsa_signature
{
    private static readonly byte[] Body = EventBodies.Platform("ContactUpdate", "loc-1", "wh-2", DateTimeOffset.UtcNow);
    private LegacyPlatformSigner _signer = null!;
    private RsaSha256SignatureVerifier _verifier = null!;

    [OneTimeSetUp]
    public void Create_key()
    {
        _signer = new LegacyPlatformSigner();
        _verifier = RsaSha256SignatureVerifier.FromPem(_signer.PublicKeyPem);
    }

    [OneTimeTearDown]
    public void Dispose_key()
    {
        _verifier?.Dispose();
        _signer?.Dispose();
    }

    [Test]
    public void Should_accept_the_signature_of_the_exact_body() =>
        Assert.That(_verifier.Verify(Body, _signer.Sign(Body)), Is.True);

    [Test]
    public void Should_refuse_the_body_with_one_byte_changed()
    {
        var changed = (byte[])Body.Clone();
        changed[10] ^= 0x20;

        Assert.That(_verifier.Verify(changed, _signer.Sign(Body)), Is.False);
    }

    [Test]
    public void Should_refuse_a_signature_made_with_another_key()
    {
        using var other = new LegacyPlatformSigner();

        Assert.That(_verifier.Verify(Body, other.Sign(Body)), Is.False);
    }

    [Test]
    public void Should_refuse_text_that_holds_no_public_key() =>
        Assert.That(RsaSha256SignatureVerifier.TryFromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", out _), Is.False);
}
