using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sync.HoopAi;
using Sync.Ingress.Tests.Support;
using Sync.Storage;

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
    [TestCase("Sync:Ingress:Sources:Import:Secrets:0", null, "reserved for sync-admin import")]
    [TestCase("Sync:Ingress:Sources:bad name:Secrets:0", null, "Sync:Ingress:Sources:bad name")]
    [TestCase("Sync:Ingress:TimestampTolerance", "00:00:00", "TimestampTolerance")]
    [TestCase("Sync:Ingress:Platform:AppId", "", "Sync:Ingress:Platform:AppId")]
    [TestCase("Sync:Ingress:Platform:MaxEventAge", "00:00:01", "Sync:Ingress:Platform:MaxEventAge")]
    [TestCase("Sync:Ingress:OAuth:StateKey", "c2hvcnQ=", "Sync:Ingress:OAuth:StateKey")]
    [TestCase("Sync:Ingress:Tls:CertificatePath", "/nonexistent/ingress.pfx", "Sync:Ingress:Tls:CertificatePath")]
    [TestCase("Sync:Ingress:OAuth:PendingDirectory", " ", "Sync:Ingress:OAuth:PendingDirectory")]
    [TestCase("Sync:Ingress:OAuth:PendingRetryInterval", "00:00:00", "Sync:Ingress:OAuth:PendingRetryInterval")]
    public void Should_refuse_to_start_naming_the_setting(string key, string? value, string named)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sync:Ingress:Platform:Ed25519PublicKey"] = GoodKey,
            ["Sync:Ingress:Sources:crm:Secrets:0"] = GoodSecret,
            ["Sync:Ingress:Platform:AppId"] = IngressSettings.AppId,
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

    [Test]
    public void Should_refuse_an_http_api_address_outside_development_and_loopback()
    {
        var failure = Assert.Throws<OptionsValidationException>(() =>
            _ = Build(new() { ["Sync:HoopAi:BaseUrl"] = "http://api.example.com" }).Services.GetRequiredService<IOptions<HoopAiOptions>>().Value);

        Assert.That(failure!.Message, Does.Contain("Sync:HoopAi:BaseUrl").And.Contain("https"));
    }

    [Test]
    public void Should_refuse_an_outbox_lease_shorter_than_twice_the_publish_timeout()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => _ = Build(new()
        {
            ["Sync:Outbox:Lease"] = "00:00:03",
            ["Sync:RabbitMq:PublishTimeout"] = "00:00:02",
        }).Services.GetRequiredService<IOptions<Sync.Messaging.Outbox.OutboxOptions>>().Value);

        Assert.That(failure!.Message, Does.Contain("Sync:Outbox:Lease").And.Contain("Sync:RabbitMq:PublishTimeout"));
    }

    [Test]
    public void Should_accept_an_outbox_lease_of_twice_the_publish_timeout()
    {
        Assert.DoesNotThrow(() => _ = Build(new()
        {
            ["Sync:Outbox:Lease"] = "00:00:04",
            ["Sync:RabbitMq:PublishTimeout"] = "00:00:02",
        }).Services.GetRequiredService<IOptions<Sync.Messaging.Outbox.OutboxOptions>>().Value);
    }

    [Test]
    public void Should_accept_an_http_api_address_on_loopback()
    {
        var options = Build(new() { ["Sync:HoopAi:BaseUrl"] = "http://127.0.0.1:5099" }).Services.GetRequiredService<IOptions<HoopAiOptions>>().Value;

        Assert.That(options.BaseUrl.IsLoopback, Is.True);
    }

    [Test]
    public void Should_refuse_the_development_token_key_outside_development()
    {
        var failure = Assert.Throws<OptionsValidationException>(() => _ = Build(new()
        {
            ["Sync:Storage:ActiveKeyId"] = "dev",
            ["Sync:Storage:EncryptionKeys:dev"] = "zZexxwC0u10YhKWG66YqTnyDG+6LLHiPtwN3R2WS5aE=",
        }).Services.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.That(failure!.Message, Does.Contain("Sync:Storage:EncryptionKeys:dev").And.Contain("development key"));
    }

    private static Microsoft.AspNetCore.Builder.WebApplication Build(Dictionary<string, string?> settings)
    {
        settings["Sync:Ingress:Platform:Ed25519PublicKey"] = GoodKey;
        settings["Sync:Ingress:Platform:AppId"] = IngressSettings.AppId;
        settings.TryAdd("Sync:Storage:ActiveKeyId", "test");
        settings.TryAdd("Sync:Storage:EncryptionKeys:test", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        return IngressApp.Build(["--urls", "http://127.0.0.1:0", "--environment", "Production"], builder => builder.Configuration.AddInMemoryCollection(settings));
    }
}
