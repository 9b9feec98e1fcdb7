namespace Sync.Storage.Tests.Units;

[TestFixture]
public sealed class When_fingerprinting_failures
{
    [Test]
    public void Should_give_failures_differing_only_in_ids_and_numbers_one_fingerprint()
    {
        var first = DeadLetterFingerprint.Compute("UpsertContact", "ApiException", "Contact ve9EPM428h8vShlRW1KT not found (HTTP 404) after 3 tries");
        var second = DeadLetterFingerprint.Compute("UpsertContact", "ApiException", "Contact Xq1MzL0aP2 not found (HTTP 404) after 12 tries");

        Assert.That(first, Is.EqualTo(second));
    }

    [Test]
    public void Should_give_failures_differing_only_in_guids_and_quoted_values_one_fingerprint()
    {
        var first = DeadLetterFingerprint.Compute("T", "E", "Message 0b8f8b9e-33a3-4c55-9d0e-52a0d7f1f001 has invalid email 'a@b'");
        var second = DeadLetterFingerprint.Compute("T", "E", "Message 6d1f2a0e-0c57-4a53-9a3e-52b1f6d1c001 has invalid email 'x@y'");

        Assert.That(first, Is.EqualTo(second));
    }

    [TestCase("OtherType", "ApiException", "Contact not found")]
    [TestCase("UpsertContact", "TimeoutException", "Contact not found")]
    [TestCase("UpsertContact", "ApiException", "Location not found")]
    public void Should_tell_different_failures_apart(string type, string fault, string message) =>
        Assert.That(
            DeadLetterFingerprint.Compute(type, fault, message),
            Is.Not.EqualTo(DeadLetterFingerprint.Compute("UpsertContact", "ApiException", "Contact not found")));

    [Test]
    public void Should_be_32_lowercase_hex_characters() =>
        Assert.That(DeadLetterFingerprint.Compute(null, null, null), Does.Match("^[0-9a-f]{32}$"));
}
