namespace Sync.Storage.Internal;

/// <summary><see cref="ITokenProtector"/> over the stored tokens' <see cref="TokenCipher"/>, in a purpose space of its own.</summary>
internal sealed class TokenProtector(TokenCipher cipher) : ITokenProtector
{
    // Stored tokens use "sync/installations/<column>"; protected values can never open as (or from) one of them.
    private const string PurposePrefix = "sync/protected/";

    public string ActiveKeyId => cipher.ActiveKeyId;

    public byte[] Protect(string plaintext, string subject, string purpose)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        return cipher.Seal(plaintext, subject, PurposePrefix + purpose);
    }

    public string Unprotect(byte[] ciphertext, string subject, string purpose)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        return cipher.Open(ciphertext, subject, PurposePrefix + purpose, $"The protected {purpose} of {subject}");
    }

    public string KeyIdOf(byte[] ciphertext)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        return TokenCipher.KeyIdOf(ciphertext, "The protected value");
    }
}
