using NSec.Cryptography;

namespace Sync.HoopAi.Webhooks;

/// <summary>
/// Verifies the platform's current webhook signature: <c>X-GHL-Signature</c>, a base64 Ed25519 signature over the raw
/// request body, checked against the platform's published public key.
/// </summary>
public sealed class Ed25519SignatureVerifier
{
    /// <summary>The header that carries the signature.</summary>
    public const string HeaderName = "X-GHL-Signature";

    private const int SignatureLength = 64;

    private readonly PublicKey _publicKey;

    private Ed25519SignatureVerifier(PublicKey publicKey) => _publicKey = publicKey;

    /// <summary>Creates a verifier from a public key given as base64 of its DER SubjectPublicKeyInfo (SPKI).</summary>
    /// <exception cref="ArgumentException">The text is not base64 of an Ed25519 SubjectPublicKeyInfo.</exception>
    public static Ed25519SignatureVerifier FromSubjectPublicKeyInfo(string spkiBase64)
    {
        if (!TryFromSubjectPublicKeyInfo(spkiBase64, out var verifier))
        {
            throw new ArgumentException("Not base64 of an Ed25519 SubjectPublicKeyInfo (expected e.g. MCowBQYDK2VwAyEA...).", nameof(spkiBase64));
        }

        return verifier;
    }

    /// <summary>Tries to create a verifier from base64 of a DER SubjectPublicKeyInfo; false when the text is not such a key.</summary>
    public static bool TryFromSubjectPublicKeyInfo(string? spkiBase64, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Ed25519SignatureVerifier? verifier)
    {
        verifier = null;
        if (string.IsNullOrWhiteSpace(spkiBase64))
        {
            return false;
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(spkiBase64.Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        if (!PublicKey.TryImport(SignatureAlgorithm.Ed25519, blob, KeyBlobFormat.PkixPublicKey, out var key) || key is null)
        {
            return false;
        }

        verifier = new Ed25519SignatureVerifier(key);
        return true;
    }

    /// <summary>True when <paramref name="signatureBase64"/> is a valid signature of exactly <paramref name="body"/>.</summary>
    /// <param name="body">The raw request body bytes, as received.</param>
    /// <param name="signatureBase64">The header's value; null, empty or malformed values never verify.</param>
    public bool Verify(ReadOnlySpan<byte> body, string? signatureBase64)
    {
        if (string.IsNullOrWhiteSpace(signatureBase64))
        {
            return false;
        }

        Span<byte> signature = stackalloc byte[SignatureLength + 3];
        if (!Convert.TryFromBase64String(signatureBase64.Trim(), signature, out var written) || written != SignatureLength)
        {
            return false;
        }

        return SignatureAlgorithm.Ed25519.Verify(_publicKey, body, signature[..SignatureLength]);
    }
}
