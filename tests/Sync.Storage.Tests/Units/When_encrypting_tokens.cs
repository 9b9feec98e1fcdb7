using System.Security.Cryptography;
using System.Text;
using Sync.Storage.Internal;

namespace Sync.Storage.Tests.Units;

/// <summary>The token cipher: AES-256-GCM, key id inside, bound to location and column.</summary>
[TestFixture]
public sealed class When_encrypting_tokens
{
    private static readonly string Key1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string Key2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private readonly TokenCipher _cipher = new(new Dictionary<string, string> { ["k1"] = Key1 }, "k1");

    [Test]
    public void Should_decrypt_what_it_encrypted()
    {
        var ciphertext = _cipher.Encrypt("token-value", "loc-1", "access_token");

        Assert.That(_cipher.Decrypt(ciphertext, "loc-1", "access_token"), Is.EqualTo("token-value"));
    }

    [Test]
    public void Should_use_a_fresh_nonce_every_time()
    {
        var first = _cipher.Encrypt("token-value", "loc-1", "access_token");
        var second = _cipher.Encrypt("token-value", "loc-1", "access_token");

        Assert.That(first, Is.Not.EqualTo(second));
    }

    [Test]
    public void Should_lay_out_version_key_id_nonce_tag_and_ciphertext()
    {
        var ciphertext = _cipher.Encrypt("token-value", "loc-1", "access_token")!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ciphertext[0], Is.EqualTo(1), "format version");
            Assert.That(Encoding.UTF8.GetString(ciphertext, 2, ciphertext[1]), Is.EqualTo("k1"));
            Assert.That(ciphertext, Has.Length.EqualTo(2 + 2 + 12 + 16 + "token-value".Length));
        }
    }

    [Test]
    public void Should_refuse_a_ciphertext_of_another_location()
    {
        var ciphertext = _cipher.Encrypt("token-value", "loc-1", "access_token");

        Assert.That(() => _cipher.Decrypt(ciphertext, "loc-2", "access_token"), Throws.InstanceOf<CryptographicException>().With.Message.Contains("loc-2"));
    }

    [Test]
    public void Should_refuse_a_ciphertext_of_another_column()
    {
        var ciphertext = _cipher.Encrypt("token-value", "loc-1", "access_token");

        Assert.That(() => _cipher.Decrypt(ciphertext, "loc-1", "refresh_token"), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void Should_refuse_an_altered_ciphertext()
    {
        var ciphertext = _cipher.Encrypt("token-value", "loc-1", "access_token")!;
        ciphertext[^1] ^= 0x01;

        Assert.That(() => _cipher.Decrypt(ciphertext, "loc-1", "access_token"), Throws.InstanceOf<CryptographicException>());
    }

    [Test]
    public void Should_name_the_missing_key_when_a_ciphertext_needs_one_it_lacks()
    {
        var rotated = new TokenCipher(new Dictionary<string, string> { ["k2"] = Key2 }, "k2");
        var ciphertext = _cipher.Encrypt("token-value", "loc-1", "access_token");

        Assert.That(() => rotated.Decrypt(ciphertext, "loc-1", "access_token"), Throws.InstanceOf<CryptographicException>().With.Message.Contains("'k1'"));
    }

    [Test]
    public void Should_read_old_keys_while_writing_with_the_active_one()
    {
        var old = _cipher.Encrypt("token-value", "loc-1", "access_token")!;
        var both = new TokenCipher(new Dictionary<string, string> { ["k1"] = Key1, ["k2"] = Key2 }, "k2");

        var fresh = both.Encrypt("token-value", "loc-1", "access_token")!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(both.Decrypt(old, "loc-1", "access_token"), Is.EqualTo("token-value"));
            Assert.That(both.KeyIdOf(fresh, "loc-1", "access_token"), Is.EqualTo("k2"));
        }
    }

    [Test]
    public void Should_keep_null_null()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_cipher.Encrypt(null, "loc-1", "access_token"), Is.Null);
            Assert.That(_cipher.Decrypt(null, "loc-1", "access_token"), Is.Null);
        }
    }
}
