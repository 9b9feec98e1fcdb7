using System.Security.Cryptography;
using Sync.Storage.Internal;

namespace Sync.Storage.Tests.Units;

/// <summary>The public token protector: the stored tokens' cipher and keys, in a purpose space of its own.</summary>
[TestFixture]
public sealed class When_protecting_values_outside_the_database
{
    private static readonly string Key1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string Key2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly TokenCipher _cipher = new(new Dictionary<string, string> { ["k1"] = Key1 }, "k1");

    private ITokenProtector Protector => new TokenProtector(_cipher);

    [Test]
    public void Should_unprotect_what_it_protected()
    {
        var ciphertext = Protector.Protect("secret-value", "loc-1", "pending");

        Assert.That(Protector.Unprotect(ciphertext, "loc-1", "pending"), Is.EqualTo("secret-value"));
    }

    [Test]
    public void Should_record_the_active_key_id()
    {
        var ciphertext = Protector.Protect("secret-value", "loc-1", "pending");

        Assert.That(Protector.KeyIdOf(ciphertext), Is.EqualTo("k1"));
    }

    [Test]
    public void Should_refuse_a_ciphertext_of_another_subject()
    {
        var ciphertext = Protector.Protect("secret-value", "loc-1", "pending");

        Assert.That(() => Protector.Unprotect(ciphertext, "loc-2", "pending"), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void Should_refuse_a_stored_token_as_a_protected_value()
    {
        var stored = _cipher.Encrypt("token-value", "loc-1", "access_token")!;

        Assert.That(() => Protector.Unprotect(stored, "loc-1", "access_token"), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void Should_name_the_missing_key_and_not_the_value_when_the_key_is_gone()
    {
        var ciphertext = Protector.Protect("secret-value", "loc-1", "pending");
        var rotated = new TokenProtector(new TokenCipher(new Dictionary<string, string> { ["k2"] = Key2 }, "k2"));

        Assert.That(() => rotated.Unprotect(ciphertext, "loc-1", "pending"),
            Throws.InstanceOf<CryptographicException>().With.Message.Contains("'k1'").And.Message.Not.Contains("secret-value"));
    }
}
