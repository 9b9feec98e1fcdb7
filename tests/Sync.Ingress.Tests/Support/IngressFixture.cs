using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Ingress.Tests.Support;

/// <summary>
/// A running ingress for one fixture: its own virtual host with a test queue bound to the <c>WebhookReceived</c>
/// exchange, its own database, keys and secrets generated for the run, and one installed location.
/// </summary>
public abstract class IngressFixture
{
    public const string KnownLocation = "loc-known";

    protected RabbitMqTestVirtualHost VirtualHost { get; private set; } = null!;

    protected PostgresTestDatabase Database { get; private set; } = null!;

    protected WebhookQueue Queue { get; private set; } = null!;

    protected PlatformSigner Signer { get; private set; } = null!;

    protected string SourceSecret { get; } = StandardWebhooksSigner.NewSecret();

    protected IngressHost Ingress { get; private set; } = null!;

    /// <summary>The ingress's <c>Sync:Ingress:OAuth:PendingDirectory</c>, this fixture's own (deleted after it).</summary>
    protected string PendingDirectory { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task Start_ingress()
    {
        VirtualHost = await RabbitMqTestVirtualHost.CreateAsync();
        Database = await PostgresTestDatabase.CreateAsync();
        Queue = await WebhookQueue.BindAsync(VirtualHost);
        Signer = new PlatformSigner();
        await BeforeStartAsync();
        var settings = new IngressSettings(VirtualHost, Database, Signer.PublicKeySpki, SourceSecret);
        PendingDirectory = settings.PendingDirectory;
        Configure(settings);
        Ingress = await IngressHost.StartAsync(settings.Values, Url, ConfigureServices, CreateTransport());
        await InstallAsync(KnownLocation);
        await AfterStartAsync();
    }

    [OneTimeTearDown]
    public async Task Stop_ingress()
    {
        await StopIngressAsync();
        if (Queue is not null)
        {
            await Queue.DisposeAsync();
        }

        Signer?.Dispose();
        if (PendingDirectory is not null && Directory.Exists(PendingDirectory))
        {
            Directory.Delete(PendingDirectory, recursive: true);
        }

        if (Database is not null)
        {
            await Database.DisposeAsync();
        }

        if (VirtualHost is not null)
        {
            await VirtualHost.DisposeAsync();
        }
    }

    /// <summary>Changes the ingress settings before it starts.</summary>
    protected virtual void Configure(IngressSettings settings)
    {
    }

    /// <summary>The address the ingress listens on (default plain HTTP on a free loopback port).</summary>
    protected virtual string Url => "http://127.0.0.1:0";

    /// <summary>Last changes to the ingress's services (they win over its own defaults, e.g. the clock).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>The test client's handler; null for the default one.</summary>
    protected virtual HttpMessageHandler? CreateTransport() => null;

    /// <summary>Runs before the ingress is configured and started (e.g. to start a sandbox it calls).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Runs once the ingress is up and <see cref="KnownLocation"/> is installed.</summary>
    protected virtual Task AfterStartAsync() => Task.CompletedTask;

    /// <summary>Stops the ingress (once; later calls do nothing).</summary>
    protected async Task StopIngressAsync()
    {
        if (Ingress is not null)
        {
            await Ingress.DisposeAsync();
            Ingress = null!;
        }
    }

    /// <summary>Stores an active installation of <paramref name="locationId"/>.</summary>
    protected Task InstallAsync(string locationId) =>
        Ingress.Services.GetRequiredService<IInstallationStore>().SaveAsync(
            new Installation(locationId, "company-1", AuthMode.PrivateIntegration, InstallationStatus.Active, "pit-token", null, null, DateTimeOffset.UtcNow),
            CancellationToken.None);

    /// <summary>Posts a platform event signed with the configured key.</summary>
    protected Task<HttpResponseMessage> PostSignedPlatformAsync(byte[] body) => Ingress.PostPlatformAsync(body, Signer.Sign(body));

    /// <summary>Posts a source event signed with the configured secret, timestamped now.</summary>
    protected Task<HttpResponseMessage> PostSignedSourceAsync(byte[] body, string id, string? secret = null, DateTimeOffset? at = null)
    {
        var timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        return Ingress.PostSourceAsync(IngressSettings.SourceName, body, id, timestamp.ToString(CultureInfo.InvariantCulture),
            StandardWebhooksSigner.Sign(secret ?? SourceSecret, id, timestamp, body));
    }

    /// <summary>Reads an RFC 9457 problem answer, checking its status, content type and members.</summary>
    protected static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.That(response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
            Assert.That(problem.GetProperty("type").GetString(), Does.StartWith("urn:sync:problem:"));
            Assert.That(problem.GetProperty("title").GetString(), Is.Not.Empty);
            Assert.That(problem.GetProperty("detail").GetString(), Is.Not.Empty);
        });
        return problem;
    }

    /// <summary>The problem type's last segment (e.g. <c>invalid-signature</c>).</summary>
    protected static string ProblemType(JsonElement problem) => problem.GetProperty("type").GetString()!["urn:sync:problem:".Length..];
}
