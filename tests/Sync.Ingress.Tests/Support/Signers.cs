using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Sync.Ingress.Tests.Support;

/// <summary>Signs platform webhooks the way the platform does, with an Ed25519 key made for the test.</summary>
public sealed class PlatformSigner : IDisposable
{
    private readonly Key _key = Key.Create(
        SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    /// <summary>The public key as base64 of its SubjectPublicKeyInfo, as configuration holds it.</summary>
    public string PublicKeySpki => Convert.ToBase64String(_key.PublicKey.Export(KeyBlobFormat.PkixPublicKey));

    /// <summary>The <c>X-GHL-Signature</c> value for <paramref name="body"/>.</summary>
    public string Sign(byte[] body) => Convert.ToBase64String(SignatureAlgorithm.Ed25519.Sign(_key, body));

    public void Dispose() => _key.Dispose();
}

/// <summary>Signs like the platform's legacy scheme: RSA PKCS#1 v1.5 with SHA-256, with a key made for the test.</summary>
public sealed class LegacyPlatformSigner : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public string PublicKeyPem => _rsa.ExportSubjectPublicKeyInfoPem();

    public string Sign(byte[] body) =>
        Convert.ToBase64String(_rsa.SignData(body, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public void Dispose() => _rsa.Dispose();
}

/// <summary>Signs Standard Webhooks deliveries, written from the specification independently of the verifier.</summary>
public static class StandardWebhooksSigner
{
    /// <summary>A fresh secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>One <c>v1,&lt;base64&gt;</c> entry.</summary>
    public static string Sign(string secret, string id, long timestamp, byte[] body)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var content = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray();
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }
}
