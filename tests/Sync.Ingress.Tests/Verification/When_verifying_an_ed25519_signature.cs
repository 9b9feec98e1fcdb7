using Sync.HoopAi.Webhooks;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Verification;

[TestFixture]
public sealed class When_verifying_an_ed25519_signature
{
    private static readonly byte[] Body = EventBodies.Platform("ContactCreate", "loc-1", "wh-1", DateTimeOffset.UtcNow);
    private PlatformSigner _signer = null!;
    private Ed25519SignatureVerifier _verifier = null!;

    [OneTimeSetUp]
    public void Create_key()
    {
        _signer = new PlatformSigner();
        _verifier = Ed25519SignatureVerifier.FromSubjectPublicKeyInfo(_signer.PublicKeySpki);
    }

    [OneTimeTearDown]
    public void Dispose_key() => _signer?.Dispose();

    [Test]
    public void Should_accept_the_signature_of_the_exact_body() =>
        Assert.That(_verifier.Verify(Body, _signer.Sign(Body)), Is.True);

    [Test]
    public void Should_refuse_the_body_with_one_byte_changed()
    {
        var changed = (byte[])Body.Clone();
        changed[^2] ^= 0x01;

        Assert.That(_verifier.Verify(changed, _signer.Sign(Body)), Is.False);
    }

    [Test]
    public void Should_refuse_a_signature_made_with_another_key()
    {
        using var other = new PlatformSigner();

        Assert.That(_verifier.Verify(Body, other.Sign(Body)), Is.False);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("not base64 at all")]
    [TestCase("c2hvcnQ=")]
    public void Should_refuse_a_missing_or_malformed_signature(string? signature) =>
        Assert.That(_verifier.Verify(Body, signature), Is.False);

    [Test]
    public void Should_import_the_platforms_published_key() =>
        Assert.That(
            Ed25519SignatureVerifier.TryFromSubjectPublicKeyInfo("MCowBQYDK2VwAyEAi2HR1srL4o18O8BRa7gVJY7G7bupbN3H9AwJrHCDiOg=", out _),
            Is.True);

    [TestCase("")]
    [TestCase("MCowBQYDK2VwAyEA")]
    [TestCase("-----BEGIN PUBLIC KEY-----")]
    public void Should_refuse_a_key_that_is_not_an_ed25519_subject_public_key_info(string key) =>
        Assert.That(Ed25519SignatureVerifier.TryFromSubjectPublicKeyInfo(key, out _), Is.False);
}
