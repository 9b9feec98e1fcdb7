using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Sync.Storage.Internal;

/// <summary>
/// AES-256-GCM for tokens at rest. A ciphertext is self-describing:
/// <c>version (1 byte) | key id length (1) | key id (UTF-8) | nonce (12) | tag (16) | ciphertext</c>.
/// The associated data binds it to the column and the location id (and to its own header), so a ciphertext copied to
/// another location or column fails to decrypt instead of yielding someone else's token.
/// </summary>
internal sealed class TokenCipher
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int MaxKeyIdBytes = 64;
    private const byte FormatVersion = 1;
    private const string InstallationPurpose = "sync/installations/";

    private readonly Dictionary<string, byte[]> _keys;

    public TokenCipher(IOptions<StorageOptions> options)
        : this(options.Value.EncryptionKeys, options.Value.ActiveKeyId)
    {
    }

    public TokenCipher(IReadOnlyDictionary<string, string> keys, string activeKeyId)
    {
        _keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, base64) in keys)
        {
            var key = Convert.FromBase64String(base64);
            if (key.Length != KeySize)
            {
                throw new ArgumentException($"Encryption key '{id}' is {key.Length} bytes; AES-256 needs {KeySize}.", nameof(keys));
            }

            _keys[id] = key;
        }

        if (!_keys.ContainsKey(activeKeyId))
        {
            throw new ArgumentException($"The active key id '{activeKeyId}' is not among the encryption keys.", nameof(activeKeyId));
        }

        ActiveKeyId = activeKeyId;
    }

    public string ActiveKeyId { get; }

    public byte[]? Encrypt(string? plaintext, string locationId, string column) =>
        plaintext is null ? null : Seal(plaintext, locationId, InstallationPurpose + column);

    public string? Decrypt(byte[]? ciphertext, string locationId, string column) =>
        ciphertext is null ? null : Open(ciphertext, locationId, InstallationPurpose + column, $"The {column} of location {locationId}");

    /// <summary>
    /// Encrypts under the active key, bound to <paramref name="subject"/> and <paramref name="purpose"/> (the associated
    /// data): the ciphertext opens only with the same pair.
    /// </summary>
    public byte[] Seal(string plaintext, string subject, string purpose)
    {
        var keyId = Encoding.UTF8.GetBytes(ActiveKeyId);
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var headerLength = 2 + keyId.Length;
        var output = new byte[headerLength + NonceSize + TagSize + plain.Length];
        output[0] = FormatVersion;
        output[1] = (byte)keyId.Length;
        keyId.CopyTo(output, 2);

        var nonce = output.AsSpan(headerLength, NonceSize);
        var tag = output.AsSpan(headerLength + NonceSize, TagSize);
        var cipher = output.AsSpan(headerLength + NonceSize + TagSize);
        RandomNumberGenerator.Fill(nonce);

        using var aes = new AesGcm(_keys[ActiveKeyId], TagSize);
        aes.Encrypt(nonce, plain, cipher, tag, AssociatedData(output.AsSpan(0, headerLength), subject, purpose));
        CryptographicOperations.ZeroMemory(plain);
        return output;
    }

    /// <summary>Decrypts what <see cref="Seal"/> made; <paramref name="what"/> names it in exception messages.</summary>
    public string Open(byte[] ciphertext, string subject, string purpose, string what)
    {
        var keyId = KeyIdOf(ciphertext, what);
        if (!_keys.TryGetValue(keyId, out var key))
        {
            throw new CryptographicException(
                $"{what} is encrypted with key '{keyId}', which is not among the configured encryption keys.");
        }

        var headerLength = 2 + ciphertext[1];
        var nonce = ciphertext.AsSpan(headerLength, NonceSize);
        var tag = ciphertext.AsSpan(headerLength + NonceSize, TagSize);
        var cipher = ciphertext.AsSpan(headerLength + NonceSize + TagSize);
        var plain = new byte[cipher.Length];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(nonce, cipher, tag, plain, AssociatedData(ciphertext.AsSpan(0, headerLength), subject, purpose));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new CryptographicException(
                $"{what} failed authentication: it was altered, or belongs to another location or purpose.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>The id of the key a ciphertext was made with.</summary>
    public string KeyIdOf(byte[] ciphertext, string locationId, string column) => KeyIdOf(ciphertext, $"The {column} of location {locationId}");

    /// <summary>The id of the key a ciphertext was made with; <paramref name="what"/> names it in exception messages.</summary>
    public static string KeyIdOf(byte[] ciphertext, string what)
    {
        if (ciphertext.Length < 2 || ciphertext[0] != FormatVersion || ciphertext.Length < 2 + ciphertext[1] + NonceSize + TagSize)
        {
            throw new CryptographicException($"{what} is not a ciphertext this version understands.");
        }

        return Encoding.UTF8.GetString(ciphertext, 2, ciphertext[1]);
    }

    private static byte[] AssociatedData(ReadOnlySpan<byte> header, string subject, string purposeName)
    {
        // <purpose> <subject> <header>, each string length-prefixed so no two (purpose, subject) pairs share an encoding.
        // The stored tokens' purpose is "sync/installations/<column>" and their subject the location id.
        var purpose = Encoding.UTF8.GetBytes(purposeName);
        var location = Encoding.UTF8.GetBytes(subject);
        var data = new byte[4 + purpose.Length + 4 + location.Length + header.Length];
        var span = data.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, purpose.Length);
        purpose.CopyTo(span[4..]);
        BinaryPrimitives.WriteInt32BigEndian(span[(4 + purpose.Length)..], location.Length);
        location.CopyTo(span[(8 + purpose.Length)..]);
        header.CopyTo(span[(8 + purpose.Length + location.Length)..]);
        return data;
    }
}
