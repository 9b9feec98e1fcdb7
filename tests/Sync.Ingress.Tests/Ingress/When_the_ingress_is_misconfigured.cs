using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>Start-up validation names the setting that is wrong (and never prints a secret).</summary>
[TestFixture]
public sealed class When_the_ingress_is_misconfigured
{
    private static readonly string GoodKey;
    private static readonly string GoodSecret = StandardWebhooksSigner.NewSecret();

    static When_the_ingress_is_misconfigured()
    {
        using var signer = new PlatformSigner();
        GoodKey = signer.PublicKeySpki;
    }

    [TestCase("Sync:Ingress:Platform:Ed25519PublicKey", "not-a-key", "Sync:Ingress:Platform:Ed25519PublicKey")]
    [TestCase("Sync:Ingress:Platform:AcceptRsa", "true", "Sync:Ingress:Platform:RsaPublicKey")]
    [TestCase("Sync:Ingress:Sources:crm:Secrets:0", "whsec_c2hvcnQ=", "Sync:Ingress:Sources:crm:Secrets:0")]
    [TestCase("Sync:Ingress:Sources:hoopai:Secrets:0", null, "reserved")]
    [TestCase("Sync:Ingress:Sources:bad name:Secrets:0", null, "Sync:Ingress:Sources:bad name")]
    [TestCase("Sync:Ingress:TimestampTolerance", "00:00:00", "TimestampTolerance")]
    public void Should_refuse_to_start_naming_the_setting(string key, string? value, string named)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sync:Ingress:Platform:Ed25519PublicKey"] = GoodKey,
            ["Sync:Ingress:Sources:crm:Secrets:0"] = GoodSecret,
            [key] = value ?? GoodSecret,
        };

        // Kestrel's limits come from these options, so building the host already validates them.
        var failure = Assert.Throws<OptionsValidationException>(() =>
        {
            var app = IngressApp.Build(["--urls", "http://127.0.0.1:0"], builder => builder.Configuration.AddInMemoryCollection(settings));
            _ = app.Services.GetRequiredService<IOptions<IngressOptions>>().Value;
        });

        Assert.Multiple(() =>
        {
            Assert.That(failure!.Message, Does.Contain(named));
            Assert.That(failure.Message, Does.Not.Contain(GoodSecret["whsec_".Length..]));
        });
    }
}
