using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Sync.Emitter;

/// <summary>Produces the signature headers of one webhook delivery.</summary>
public interface IWebhookSigner
{
    /// <summary>The headers to send with <paramref name="body"/>.</summary>
    /// <param name="eventId">The event's id.</param>
    /// <param name="body">The exact body bytes that will be sent.</param>
    /// <param name="sentAt">The time of sending.</param>
    /// <param name="corrupt">When true the signature is made invalid on purpose (one byte flipped).</param>
    IReadOnlyList<KeyValuePair<string, string>> Sign(string eventId, ReadOnlySpan<byte> body, DateTimeOffset sentAt, bool corrupt);
}

/// <summary>The platform's current scheme: <c>X-GHL-Signature</c>, base64 Ed25519 over the raw body.</summary>
public sealed class Ed25519WebhookSigner : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private Ed25519WebhookSigner(Key key)
    {
        _key = key;
        PublicKeySpkiBase64 = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.PkixPublicKey));
    }

    /// <summary>The public key as SPKI (X.509 SubjectPublicKeyInfo) base64: what the ingress is configured with.</summary>
    public string PublicKeySpkiBase64 { get; }

    /// <summary>A new random key pair.</summary>
    public static Ed25519WebhookSigner Generate() =>
        new(Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>
    /// Loads a private key given as PKCS#8 PEM text, PKCS#8 DER in base64, or the raw 32-byte seed in base64.
    /// </summary>
    /// <exception cref="FormatException">The text is none of those.</exception>
    public static Ed25519WebhookSigner FromPrivateKey(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        text = text.Trim();
        if (text.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            return new Ed25519WebhookSigner(Key.Import(Algorithm, Encoding.ASCII.GetBytes(text), KeyBlobFormat.PkixPrivateKeyText, parameters));
        }

        var bytes = Convert.FromBase64String(text);
        var format = bytes.Length == 32 ? KeyBlobFormat.RawPrivateKey : KeyBlobFormat.PkixPrivateKey;
        return new Ed25519WebhookSigner(Key.Import(Algorithm, bytes, format, parameters));
    }

    /// <summary>The private key as PKCS#8 DER in base64 (what <see cref="FromPrivateKey"/> reads back).</summary>
    public string ExportPrivateKeyPkcs8Base64() => Convert.ToBase64String(_key.Export(KeyBlobFormat.PkixPrivateKey));

    /// <summary>The base64 signature of <paramref name="body"/>.</summary>
    public string Sign(ReadOnlySpan<byte> body) => Convert.ToBase64String(Algorithm.Sign(_key, body));

    /// <summary>Checks a base64 signature against an SPKI base64 public key.</summary>
    public static bool Verify(string publicKeySpkiBase64, ReadOnlySpan<byte> body, string signatureBase64)
    {
        var publicKey = PublicKey.Import(Algorithm, Convert.FromBase64String(publicKeySpkiBase64), KeyBlobFormat.PkixPublicKey);
        return Algorithm.Verify(publicKey, body, Convert.FromBase64String(signatureBase64));
    }

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}

/// <summary>The platform's legacy scheme: <c>x-wh-signature</c>, base64 RSA-SHA256 (PKCS#1 v1.5) over the raw body.</summary>
public sealed class RsaWebhookSigner : IDisposable
{
    private readonly RSA _rsa;

    private RsaWebhookSigner(RSA rsa) => _rsa = rsa;

    /// <summary>The public key as SPKI DER in base64.</summary>
    public string PublicKeySpkiBase64 => Convert.ToBase64String(_rsa.ExportSubjectPublicKeyInfo());

    /// <summary>The public key as PEM (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    public string PublicKeyPem => _rsa.ExportSubjectPublicKeyInfoPem();

    /// <summary>A new key of <paramref name="bits"/> bits (the platform's is 4096).</summary>
    public static RsaWebhookSigner Generate(int bits = 4096) => new(RSA.Create(bits));

    /// <summary>Loads a private key given as PEM (PKCS#1 or PKCS#8) or PKCS#8 DER in base64.</summary>
    public static RsaWebhookSigner FromPrivateKey(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var rsa = RSA.Create();
        try
        {
            text = text.Trim();
            if (text.StartsWith("-----BEGIN", StringComparison.Ordinal))
            {
                rsa.ImportFromPem(text);
            }
            else
            {
                rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(text), out _);
            }

            return new RsaWebhookSigner(rsa);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    /// <summary>The private key as PKCS#8 PEM.</summary>
    public string ExportPrivateKeyPem() => _rsa.ExportPkcs8PrivateKeyPem();

    /// <summary>The base64 signature of <paramref name="body"/>.</summary>
    public string Sign(ReadOnlySpan<byte> body)
    {
        Span<byte> signature = stackalloc byte[_rsa.KeySize / 8];
        var written = _rsa.SignData(body, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return Convert.ToBase64String(signature[..written]);
    }

    /// <summary>Checks a base64 signature against a public key given as PEM or SPKI base64.</summary>
    public static bool Verify(string publicKey, ReadOnlySpan<byte> body, string signatureBase64)
    {
        using var rsa = RSA.Create();
        if (publicKey.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            rsa.ImportFromPem(publicKey);
        }
        else
        {
            rsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKey), out _);
        }

        return rsa.VerifyData(body, Convert.FromBase64String(signatureBase64), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <inheritdoc />
    public void Dispose() => _rsa.Dispose();
}

/// <summary>Signs platform events: <c>X-GHL-Signature</c> (Ed25519) and, when an RSA key is given, the legacy <c>x-wh-signature</c>.</summary>
/// <param name="ed25519">The Ed25519 key.</param>
/// <param name="rsa">The legacy RSA key, or null to leave the legacy header out.</param>
public sealed class PlatformWebhookSigner(Ed25519WebhookSigner ed25519, RsaWebhookSigner? rsa = null) : IWebhookSigner
{
    /// <summary>The Ed25519 signature header.</summary>
    public const string SignatureHeader = "X-GHL-Signature";

    /// <summary>The legacy RSA signature header.</summary>
    public const string LegacySignatureHeader = "x-wh-signature";

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, string>> Sign(string eventId, ReadOnlySpan<byte> body, DateTimeOffset sentAt, bool corrupt)
    {
        ArgumentNullException.ThrowIfNull(ed25519);
        var headers = new List<KeyValuePair<string, string>>(2)
        {
            new(SignatureHeader, Corrupt(ed25519.Sign(body), corrupt)),
        };
        if (rsa is not null)
        {
            headers.Add(new(LegacySignatureHeader, Corrupt(rsa.Sign(body), corrupt)));
        }

        return headers;
    }

    internal static string Corrupt(string signatureBase64, bool corrupt)
    {
        if (!corrupt)
        {
            return signatureBase64;
        }

        var bytes = Convert.FromBase64String(signatureBase64);
        bytes[bytes.Length / 2] ^= 0x5A;
        return Convert.ToBase64String(bytes);
    }
}

/// <summary>
/// Standard Webhooks signatures for source events: <c>webhook-id</c>, <c>webhook-timestamp</c> (unix seconds) and
/// <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"&gt;</c>, keyed by the bytes of the
/// base64 part of a <c>whsec_</c> secret.
/// </summary>
public sealed class StandardWebhookSigner : IWebhookSigner
{
    /// <summary>The secret prefix.</summary>
    public const string SecretPrefix = "whsec_";

    private readonly byte[] _key;

    /// <summary>Creates a signer from a <c>whsec_&lt;base64&gt;</c> secret (the prefix may be left out).</summary>
    /// <exception cref="FormatException">The part after the prefix is not base64.</exception>
    public StandardWebhookSigner(string secret) => _key = KeyOf(secret);

    /// <summary>A new random secret: <c>whsec_</c> and 32 random bytes in base64.</summary>
    public static string GenerateSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The <c>webhook-signature</c> value for one delivery: <c>v1,&lt;base64&gt;</c>.</summary>
    public string Signature(string eventId, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{eventId}.{timestamp}."));
        using var hmac = System.Security.Cryptography.IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return "v1," + Convert.ToBase64String(hmac.GetHashAndReset());
    }

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, string>> Sign(string eventId, ReadOnlySpan<byte> body, DateTimeOffset sentAt, bool corrupt)
    {
        var timestamp = sentAt.ToUnixTimeSeconds();
        var signature = Signature(eventId, timestamp, body);
        if (corrupt)
        {
            signature = "v1," + PlatformWebhookSigner.Corrupt(signature[3..], corrupt: true);
        }

        return
        [
            new("webhook-id", eventId),
            new("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture)),
            new("webhook-signature", signature),
        ];
    }

    private static byte[] KeyOf(string secret)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        return Convert.FromBase64String(encoded);
    }
}
