using System.Text;
using Sync.HoopAi.Webhooks;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Verification;

[TestFixture]
public sealed class When_verifying_standard_webhooks
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"type":"contact.upserted","id":"msg_1"}""");
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly string Timestamp = Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private readonly string _secret = StandardWebhooksSigner.NewSecret();

    [Test]
    public void Should_accept_the_specifications_test_vector()
    {
        // The vector the Standard Webhooks reference libraries test against.
        var verifier = new StandardWebhooksVerifier(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);

        var result = verifier.Verify(
            "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            Encoding.UTF8.GetBytes("""{"test": 2432232314}"""), DateTimeOffset.FromUnixTimeSeconds(1614265330), Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.Valid));
    }

    [Test]
    public void Should_accept_a_valid_signature()
    {
        var result = Verifier().Verify("msg_1", Timestamp, Sign(_secret), Body, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.Valid));
    }

    [Test]
    public void Should_accept_when_one_of_several_signatures_matches()
    {
        var header = $"v1,{Convert.ToBase64String(new byte[32])} {Sign(_secret)} v1,bm90IGEgc2lnbmF0dXJl";

        var result = Verifier().Verify("msg_1", Timestamp, header, Body, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.Valid));
    }

    [Test]
    public void Should_accept_a_signature_made_with_any_configured_secret()
    {
        var old = StandardWebhooksSigner.NewSecret();
        var verifier = new StandardWebhooksVerifier([_secret, old]);

        var result = verifier.Verify("msg_1", Timestamp, Sign(old), Body, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.Valid));
    }

    [Test]
    public void Should_ignore_entries_of_other_versions()
    {
        var header = "v1a," + Sign(_secret)["v1,".Length..];

        var result = Verifier().Verify("msg_1", Timestamp, header, Body, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.NoMatchingSignature));
    }

    [Test]
    public void Should_refuse_a_changed_body()
    {
        var changed = (byte[])Body.Clone();
        changed[3] ^= 0x01;

        var result = Verifier().Verify("msg_1", Timestamp, Sign(_secret), changed, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.NoMatchingSignature));
    }

    [Test]
    public void Should_refuse_a_signature_over_another_id()
    {
        var result = Verifier().Verify("msg_2", Timestamp, Sign(_secret), Body, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.NoMatchingSignature));
    }

    [Test]
    public void Should_refuse_a_signature_made_with_an_unknown_secret()
    {
        var result = Verifier().Verify("msg_1", Timestamp, Sign(StandardWebhooksSigner.NewSecret()), Body, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.NoMatchingSignature));
    }

    [TestCase(-301)]
    [TestCase(301)]
    public void Should_refuse_a_timestamp_outside_the_tolerance(int offsetSeconds)
    {
        var result = Verifier().Verify("msg_1", Timestamp, Sign(_secret), Body, Now.AddSeconds(-offsetSeconds), Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.TimestampOutOfTolerance));
    }

    [TestCase("1800000000.5")]
    [TestCase("-5")]
    [TestCase("2026-11-26T12:00:00Z")]
    public void Should_refuse_a_timestamp_that_is_not_unix_seconds(string timestamp)
    {
        var result = Verifier().Verify("msg_1", timestamp, Sign(_secret), Body, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.InvalidTimestamp));
    }

    [TestCase(null, "1800000000", "v1,x")]
    [TestCase("msg_1", null, "v1,x")]
    [TestCase("msg_1", "1800000000", "")]
    public void Should_report_missing_headers(string? id, string? timestamp, string? signature)
    {
        var result = Verifier().Verify(id, timestamp, signature, Body, Now, Tolerance);

        Assert.That(result, Is.EqualTo(StandardWebhooksVerification.MissingHeaders));
    }

    [TestCase("whsec_c2hvcnQ=")]
    [TestCase("whsec_***")]
    [TestCase("")]
    public void Should_refuse_a_secret_that_is_short_or_not_base64(string secret) =>
        Assert.That(StandardWebhooksVerifier.TryDecodeSecret(secret, out _, out _), Is.False);

    private StandardWebhooksVerifier Verifier() => new([_secret]);

    private static string Sign(string secret) => StandardWebhooksSigner.Sign(secret, "msg_1", 1_800_000_000, Body);
}
