namespace Sync.Storage.Tests.Units;

[TestFixture]
public sealed class When_normalising_match_keys_and_tags
{
    [TestCase("  Jane.Doe@Example.COM ", "jane.doe@example.com")]
    [TestCase("jane@example.com", "jane@example.com")]
    public void Should_trim_and_lowercase_emails(string input, string expected) =>
        Assert.That(ContactKey.Email(input).Value, Is.EqualTo(expected));

    [TestCase("+1 (555) 010-0199", "+15550100199")]
    [TestCase("555.010.0199", "5550100199")]
    [TestCase(" +44 20 7946 0958 ", "+442079460958")]
    public void Should_keep_a_leading_plus_and_digits_of_phones(string input, string expected) =>
        Assert.That(ContactKey.Phone(input).Value, Is.EqualTo(expected));

    [Test]
    public void Should_keep_the_case_of_external_ids() =>
        Assert.That(ContactKey.ExternalId(" CRM-Ab1 ").Value, Is.EqualTo("CRM-Ab1"));

    [Test]
    public void Should_refuse_a_key_that_is_empty_once_normalised() =>
        Assert.That(() => ContactKey.Phone(" - "), Throws.ArgumentException);

    [Test]
    public void Should_treat_keys_with_the_same_normal_form_as_equal() =>
        Assert.That(ContactKey.Email("A@B.com"), Is.EqualTo(ContactKey.Email(" a@b.COM")));

    [Test]
    public void Should_trim_and_lowercase_tags() =>
        Assert.That(TagChange.NormaliseTag("  VIP Customer "), Is.EqualTo("vip customer"));
}
