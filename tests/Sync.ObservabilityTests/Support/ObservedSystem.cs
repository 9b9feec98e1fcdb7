using System.Globalization;
using System.Text;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Emitter;
using Sync.HoopAi.OAuth;
using Sync.Ingress;
using Sync.Sandbox;
using Sync.Storage;
using Sync.Testing;
using Sync.Worker;

namespace Sync.ObservabilityTests.Support;

/// <summary>
/// The whole pipeline in-process, as deployed: the ingress and a worker (each with its own /metrics), a real RabbitMQ
/// virtual host and PostgreSQL database of their own, and the sandbox API on loopback.
/// </summary>
public sealed class ObservedSystem : IAsyncDisposable
{
    public const string SourceName = "crm";
    public const string AppId = "observability-app";

    private ObservedSystem(
        RabbitMqTestVirtualHost vhost, PostgresTestDatabase database, SandboxServer sandbox, IHost worker, WebApplication ingress,
        string sourceSecret, LogLines workerLogs, TcpProxy? ingressBroker)
    {
        IngressBroker = ingressBroker;
        VirtualHost = vhost;
        Database = database;
        Sandbox = sandbox;
        Worker = worker;
        Ingress = ingress;
        SourceSecret = sourceSecret;
        WorkerLogs = workerLogs;
        WorkerAddress = AddressOf(worker.Services);
        IngressAddress = AddressOf(ingress.Services);
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    }

    public RabbitMqTestVirtualHost VirtualHost { get; }

    public PostgresTestDatabase Database { get; }

    public SandboxServer Sandbox { get; }

    public IHost Worker { get; }

    public WebApplication Ingress { get; }

    public Uri WorkerAddress { get; }

    public Uri IngressAddress { get; }

    public string SourceSecret { get; }

    public LogLines WorkerLogs { get; }

    public HttpClient Http { get; }

    /// <summary>The proxy between the ingress and RabbitMQ, when started with one (cut it to make the ingress spill).</summary>
    public TcpProxy? IngressBroker { get; }

    /// <param name="extra">Settings both hosts get on top of the test's own (e.g. <c>OTEL_*</c>).</param>
    /// <param name="ingressBrokerProxy">Whether the ingress reaches RabbitMQ through a <see cref="TcpProxy"/> (the worker does not).</param>
    public static async Task<ObservedSystem> StartAsync(IReadOnlyDictionary<string, string?>? extra = null, bool ingressBrokerProxy = false)
    {
        var vhost = await RabbitMqTestVirtualHost.CreateAsync();
        var database = await PostgresTestDatabase.CreateAsync();
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions());
        var sourceSecret = "whsec_" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using var platformKey = Ed25519WebhookSigner.Generate();
        var common = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft"] = "Warning",
            ["Logging:LogLevel:MassTransit"] = "Warning",
            ["Logging:LogLevel:Sync.HoopAi.Api.HoopAiClient"] = "Debug", // every API call, as the README says to ask for
            ["Sync:Storage:Provider"] = "PostgreSql",
            ["Sync:Storage:ConnectionString"] = database.ConnectionString,
            ["Sync:Storage:MigrateOnStart"] = "true",
            ["Sync:Storage:ActiveKeyId"] = "test",
            ["Sync:Storage:EncryptionKeys:test"] = Convert.ToBase64String(Encoding.ASCII.GetBytes("observability-test-key-32-bytes!")),
            ["Sync:RabbitMq:Host"] = vhost.Host,
            ["Sync:RabbitMq:Port"] = vhost.Port.ToString(CultureInfo.InvariantCulture),
            ["Sync:RabbitMq:VirtualHost"] = vhost.Name,
            ["Sync:RabbitMq:Username"] = vhost.Username,
            ["Sync:RabbitMq:Password"] = vhost.Password,
            ["Sync:HoopAi:BaseUrl"] = sandbox.BaseAddress.ToString(),
            ["Sync:HoopAi:ClientId"] = "sandbox-client",
            ["Sync:HoopAi:ClientSecret"] = "sandbox-secret",
            ["Sync:HoopAi:TokenRefreshMargin"] = "00:00:05",
            ["Sync:Outbox:PollInterval"] = "00:00:00.100",
            ["Sync:Observability:Backlog:Interval"] = "00:00:00.500",
            ["Sync:Observability:Traces"] = "true", // the spans go to the tests' in-process recorder
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            common[key] = value;
        }

        var workerLogs = new LogLines();
        var worker = WorkerApp.Build([], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(common);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [WorkerApp.UrlsKey] = "http://127.0.0.1:0",
                ["Sync:Worker:TagBatchTimeLimit"] = "00:00:01",
            });
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddProvider(workerLogs);
        });
        await worker.StartAsync();
        await BusReadiness.WaitAsync(worker.Services.GetRequiredService<IBusControl>(), TimeSpan.FromSeconds(60));

        var ingressBroker = ingressBrokerProxy ? TcpProxy.Start(vhost.Host, vhost.Port) : null;
        var ingress = IngressApp.Build([], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(common);
            if (ingressBroker is not null)
            {
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Sync:RabbitMq:Host"] = "127.0.0.1",
                    ["Sync:RabbitMq:Port"] = ingressBroker.Port.ToString(CultureInfo.InvariantCulture),
                });
            }

            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sync:Ingress:LocationMissRefreshInterval"] = "00:00:00",
                ["Sync:Ingress:Platform:Ed25519PublicKey"] = platformKey.PublicKeySpkiBase64,
                ["Sync:Ingress:Platform:AppId"] = AppId,
                [$"Sync:Ingress:Sources:{SourceName}:Secrets:0"] = sourceSecret,
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
        });
        await ingress.StartAsync();
        return new ObservedSystem(vhost, database, sandbox, worker, ingress, sourceSecret, workerLogs, ingressBroker);
    }

    /// <summary>Installs a location through OAuth as the ingress's callback would; its access token lives <paramref name="lifetimeSeconds"/>.</summary>
    public async Task<OAuthToken> InstallOAuthAsync(string locationId, int lifetimeSeconds)
    {
        var code = Sandbox.State.Tokens.IssueAuthorizationCode(locationId, accessTokenLifetimeSeconds: lifetimeSeconds);
        var token = await Worker.Services.GetRequiredService<HoopAiOAuthClient>().ExchangeAuthorizationCodeAsync(code, CancellationToken.None);
        await Worker.Services.GetRequiredService<IInstallationStore>().SaveAsync(
            new Installation(locationId, token.CompanyId, AuthMode.OAuth, InstallationStatus.Active, token.AccessToken, token.RefreshToken,
                DateTimeOffset.UtcNow.AddSeconds(token.ExpiresIn), DateTimeOffset.UtcNow),
            CancellationToken.None);
        return token;
    }

    /// <summary>Sends webhooks to the ingress's source endpoint, signed as the source does.</summary>
    public Task<EmissionReport> SendAsync(IReadOnlyList<SourceEvent> events, Action<EmitterOptions>? configure = null)
    {
        var options = new EmitterOptions { Target = new Uri(IngressAddress, "/webhooks/sources/" + SourceName), Concurrency = 4 };
        configure?.Invoke(options);
        return new WebhookEmitter(Http, new StandardWebhookSigner(SourceSecret), options).SendAsync([.. events.Select(e => e.ToOutgoing())]);
    }

    public async Task<PrometheusText> ScrapeAsync(Uri host)
    {
        var text = await Http.GetStringAsync(new Uri(host, "/metrics"));
        return PrometheusText.Parse(text);
    }

    /// <summary>Polls until <paramref name="done"/> holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static Task<bool> EventuallyAsync(Func<Task<bool>> done, TimeSpan timeout) =>
        Eventually.HoldsAsync(done, timeout);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Ingress.StopAsync();
        await Ingress.DisposeAsync();
        if (IngressBroker is not null)
        {
            await IngressBroker.DisposeAsync();
        }

        await Worker.StopAsync();
        Worker.Dispose();
        await Sandbox.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }

    private static Uri AddressOf(IServiceProvider services) =>
        new(services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
