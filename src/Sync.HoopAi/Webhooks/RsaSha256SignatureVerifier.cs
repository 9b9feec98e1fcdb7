using System.Security.Cryptography;

namespace Sync.HoopAi.Webhooks;

/// <summary>
/// Verifies the platform's legacy webhook signature: <c>x-wh-signature</c>, a base64 RSA signature (PKCS#1 v1.5,
/// SHA-256) over the raw request body. Deprecated by the platform in favour of <see cref="Ed25519SignatureVerifier"/>.
/// </summary>
public sealed class RsaSha256SignatureVerifier : IDisposable
{
    /// <summary>The header that carries the signature.</summary>
    public const string HeaderName = "x-wh-signature";

    private readonly RSA _rsa;
    private readonly int _signatureLength;

    // RSA instances make no promise of thread safety; the legacy scheme is rare enough for a lock to cost nothing.
    private readonly Lock _gate = new();

    private RsaSha256SignatureVerifier(RSA rsa)
    {
        _rsa = rsa;
        _signatureLength = rsa.KeySize / 8;
    }

    /// <summary>Creates a verifier from a PEM public key (<c>-----BEGIN PUBLIC KEY-----</c> or <c>-----BEGIN RSA PUBLIC KEY-----</c>).</summary>
    /// <exception cref="ArgumentException">The text holds no RSA public key.</exception>
    public static RsaSha256SignatureVerifier FromPem(string pem)
    {
        if (!TryFromPem(pem, out var verifier))
        {
            throw new ArgumentException("Not a PEM RSA public key.", nameof(pem));
        }

        return verifier;
    }

    /// <summary>Tries to create a verifier from a PEM public key; false when the text holds none.</summary>
    public static bool TryFromPem(string? pem, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RsaSha256SignatureVerifier? verifier)
    {
        verifier = null;
        if (string.IsNullOrWhiteSpace(pem))
        {
            return false;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            return false;
        }

        if (rsa.KeySize < 2048)
        {
            rsa.Dispose();
            return false;
        }

        verifier = new RsaSha256SignatureVerifier(rsa);
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

        var signature = new byte[_signatureLength + 3];
        if (!Convert.TryFromBase64String(signatureBase64.Trim(), signature, out var written) || written != _signatureLength)
        {
            return false;
        }

        lock (_gate)
        {
            return _rsa.VerifyData(body, signature.AsSpan(0, written), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }

    /// <summary>Releases the key.</summary>
    public void Dispose() => _rsa.Dispose();
}
