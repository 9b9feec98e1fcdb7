using Sync.Core;

namespace Sync.UnitTests.Core;

public sealed class When_normalising_contact_keys
{
    [TestCase(" Jane@Example.COM ", "jane@example.com")]
    [TestCase("   ", null)]
    [TestCase(null, null)]
    public void Should_trim_and_lowercase_emails(string? input, string? expected) =>
        Assert.That(ContactKeys.NormalizeEmail(input), Is.EqualTo(expected));

    [TestCase("+1 (555) 010-2000", "+15550102000")]
    [TestCase("555.010.2000", "5550102000")]
    [TestCase("12+34", "1234")]
    [TestCase("+", null)]
    [TestCase("n/a", null)]
    public void Should_strip_separators_from_phones(string input, string? expected) =>
        Assert.That(ContactKeys.NormalizePhone(input), Is.EqualTo(expected));

    [Test]
    public void Should_normalise_deduplicate_and_sort_tags() =>
        Assert.That(ContactKeys.NormalizeTags(["VIP", " vip ", "", null, "Gold"]), Is.EqualTo(new[] { "gold", "vip" }));
}
