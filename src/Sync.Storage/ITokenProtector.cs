namespace Sync.Storage;

/// <summary>
/// Encrypts secrets that must wait outside the database (e.g. an OAuth installation the database could not take) with
/// the same keys and format as the stored tokens: AES-256-GCM under <see cref="StorageOptions.ActiveKeyId"/>, the key id
/// recorded in the ciphertext, bound to a subject and a purpose so a ciphertext cannot be moved to another.
/// </summary>
public interface ITokenProtector
{
    /// <summary>The id of the key <see cref="Protect"/> uses now.</summary>
    string ActiveKeyId { get; }

    /// <summary>Encrypts <paramref name="plaintext"/> for <paramref name="subject"/> (e.g. a location id) and <paramref name="purpose"/>.</summary>
    byte[] Protect(string plaintext, string subject, string purpose);

    /// <summary>
    /// Decrypts what <see cref="Protect"/> made for the same subject and purpose. Throws
    /// <see cref="System.Security.Cryptography.CryptographicException"/> when its key is no longer configured, or it was
    /// altered or made for another subject or purpose (the message names the key id, never the plaintext).
    /// </summary>
    string Unprotect(byte[] ciphertext, string subject, string purpose);

    /// <summary>The id of the key a ciphertext was made with (<see cref="System.Security.Cryptography.CryptographicException"/> if it is not one).</summary>
    string KeyIdOf(byte[] ciphertext);
}
