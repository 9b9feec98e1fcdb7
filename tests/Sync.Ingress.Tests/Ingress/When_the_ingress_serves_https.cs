using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// Kestrel serving TLS from the certificate in <c>Sync:Ingress:Tls</c>: a self-signed one made for the run, trusted by
/// the test client only by its thumbprint.
/// </summary>
[TestFixture]
public sealed class When_the_ingress_serves_https : IngressFixture
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sync-ingress-tls-").FullName;
    private readonly string _password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
    private string _thumbprint = "";

    protected override string Url => "https://127.0.0.1:0";

    protected override void Configure(IngressSettings settings)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sync-ingress-test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("ingress.test");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        _thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var path = Path.Combine(_directory, "ingress.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, _password));

        settings.Set("Sync:Ingress:Tls:CertificatePath", path).Set("Sync:Ingress:Tls:Password", _password);
    }

    protected override HttpMessageHandler? CreateTransport() => new SocketsHttpHandler
    {
        SslOptions = new System.Net.Security.SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && string.Equals(
                    new X509Certificate2(certificate).GetCertHashString(HashAlgorithmName.SHA256), _thumbprint, StringComparison.OrdinalIgnoreCase),
        },
    };

    [OneTimeTearDown]
    public void Remove_the_certificate() => Directory.Delete(_directory, recursive: true);

    [Test]
    public async Task Should_accept_a_webhook_over_https()
    {
        Assert.That(Ingress.Address.Scheme, Is.EqualTo(Uri.UriSchemeHttps));

        var response = await PostSignedPlatformAsync(EventBodies.Platform("ContactCreate", KnownLocation, "wh-over-tls", DateTimeOffset.UtcNow));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(await Queue.WaitForAsync(1, TimeSpan.FromSeconds(30)), Is.EqualTo(1));
    }

    [Test]
    public async Task Should_send_strict_transport_security()
    {
        // HSTS is never sent to loopback names (a browser would pin them); a real host name gets it.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Host = "ingress.test:" + Ingress.Address.Port;

        var response = await Ingress.Client.SendAsync(request);

        Assert.That(response.Headers.TryGetValues("Strict-Transport-Security", out var hsts), Is.True);
        Assert.That(hsts!.Single(), Does.StartWith("max-age=31536000"));
    }
}
