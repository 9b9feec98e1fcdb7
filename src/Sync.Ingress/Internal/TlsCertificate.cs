using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sync.Ingress.Internal;

/// <summary>Loads the server certificate named in <see cref="TlsOptions"/>: PKCS#12, or PEM certificate plus PEM key.</summary>
internal static class TlsCertificate
{
    /// <summary>The certificate with its private key.</summary>
    public static X509Certificate2 Load(TlsOptions options)
    {
        var password = options.Password.Length > 0 ? options.Password : null;
        if (options.KeyPath.Length > 0)
        {
            using var pem = password is null
                ? X509Certificate2.CreateFromPemFile(options.CertificatePath, options.KeyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(options.CertificatePath, password, options.KeyPath);

            // A key from PEM is ephemeral; SslStream needs it exportable into a platform key on some systems.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, password);
    }

    /// <summary>Why the configured certificate cannot serve TLS, or null when it can (never quotes the password).</summary>
    public static string? Problem(TlsOptions options)
    {
        if (!File.Exists(options.CertificatePath))
        {
            return "names no readable file.";
        }

        if (options.KeyPath.Length > 0 && !File.Exists(options.KeyPath))
        {
            return "is set, but Tls:KeyPath names no readable file.";
        }

        try
        {
            using var certificate = Load(options);
            return certificate.HasPrivateKey ? null : "holds no private key (give Tls:KeyPath for a PEM certificate).";
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return $"could not be loaded ({ex.GetType().Name}): a PKCS#12 file with Tls:Password, or a PEM certificate with Tls:KeyPath.";
        }
    }
}
