using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Components;
using Sync.Contracts;
using Sync.Core;
using Sync.Emitter;
using Sync.HoopAi.OAuth;
using Sync.IntegrationTests.Failures;
using Sync.Messaging;
using Sync.Messaging.Redelivery;
using Sync.Sandbox;
using Sync.Storage;
using Sync.Testing;

namespace Sync.IntegrationTests.Worker;

/// <summary>
/// A whole worker process in-process: real RabbitMQ (own virtual host), real PostgreSQL (own database), and the
/// sandbox API on loopback; webhooks are published to the bus as the ingress would.
/// </summary>
internal sealed class WorkerHarness : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string?>? _settings;
    private readonly List<IHost> _others = [];

    private WorkerHarness(
        RabbitMqTestVirtualHost vhost, PostgresTestDatabase database, SandboxServer sandbox, IHost host, IReadOnlyDictionary<string, string?>? settings)
    {
        VirtualHost = vhost;
        Database = database;
        Sandbox = sandbox;
        Host = host;
        _settings = settings;
    }

    public RabbitMqTestVirtualHost VirtualHost { get; }

    public PostgresTestDatabase Database { get; }

    public SandboxServer Sandbox { get; }

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    /// <summary>
    /// Starts a worker on a new virtual host and database against a new sandbox; <paramref name="settings"/> override
    /// the worker's configuration (e.g. <c>Sync:Circuit:ProbeInterval</c>).
    /// </summary>
    public static async Task<WorkerHarness> StartAsync(SandboxOptions? sandboxOptions = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var vhost = await RabbitMqTestVirtualHost.CreateAsync();
        var database = await PostgresTestDatabase.CreateAsync();
        var sandbox = await SandboxServer.StartAsync(sandboxOptions ?? new SandboxOptions());
        var host = await StartHostAsync(vhost, database, sandbox, settings);
        return new WorkerHarness(vhost, database, sandbox, host, settings);
    }

    /// <summary>Starts one more worker process (in-process) on the same broker, database and sandbox: scale-out.</summary>
    public async Task<IHost> StartAnotherWorkerAsync()
    {
        var host = await StartHostAsync(VirtualHost, Database, Sandbox, _settings);
        _others.Add(host);
        return host;
    }

    private static async Task<IHost> StartHostAsync(
        RabbitMqTestVirtualHost vhost, PostgresTestDatabase database, SandboxServer sandbox, IReadOnlyDictionary<string, string?>? settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sync:Storage:Provider"] = "PostgreSql",
            ["Sync:Storage:ConnectionString"] = database.ConnectionString,
            ["Sync:Storage:ActiveKeyId"] = "test",
            ["Sync:Storage:EncryptionKeys:test"] = Convert.ToBase64String(Encoding.ASCII.GetBytes("integration-test-key-of-32-bytes")),
            ["Sync:RabbitMq:Host"] = vhost.Host,
            ["Sync:RabbitMq:Port"] = vhost.Port.ToString(CultureInfo.InvariantCulture),
            ["Sync:RabbitMq:VirtualHost"] = vhost.Name,
            ["Sync:RabbitMq:Username"] = vhost.Username,
            ["Sync:RabbitMq:Password"] = vhost.Password,
            ["Sync:HoopAi:BaseUrl"] = sandbox.BaseAddress.ToString(),
            ["Sync:HoopAi:ClientId"] = "sandbox-client",
            ["Sync:HoopAi:ClientSecret"] = "sandbox-secret",
            ["Sync:HoopAi:TokenRefreshMargin"] = "00:00:05",
            ["Sync:Worker:TagBatchTimeLimit"] = "00:00:01",
            ["Sync:Outbox:PollInterval"] = "00:00:00.100",

            // Tests that read the error and poison queues (or count them empty) need their messages left there; the
            // dead-letter tests switch the collector on.
            ["Sync:DeadLetters:CollectorEnabled"] = "false",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        // SYNC_TEST_LOGS=1 shows the worker's own log on the console while debugging a test.
        builder.Logging.ClearProviders();
        if (ProgressLoggerProvider.Requested)
        {
            builder.Logging.AddProvider(new ProgressLoggerProvider(LogLevel.Debug)).SetMinimumLevel(LogLevel.Information)
                .AddFilter("Sync.Components.Consumers", LogLevel.Debug);
        }
        builder.Services.AddSyncWorker(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();

        // The bus connects in the background: wait for its endpoints before the test publishes.
        await BusReadiness.WaitAsync(host.Services.GetRequiredService<IBusControl>(), TimeSpan.FromSeconds(60));
        return host;
    }

    /// <summary>Registers a private-integration token for the location in the sandbox and as an installation.</summary>
    public async Task<string> InstallPrivateAsync(string locationId)
    {
        var grant = Sandbox.State.Tokens.RegisterPrivateToken(locationId);
        await Services.GetRequiredService<IInstallationStore>().SaveAsync(
            new Installation(locationId, null, AuthMode.PrivateIntegration, InstallationStatus.Active, grant.Token, null, null, DateTimeOffset.UtcNow),
            CancellationToken.None);
        return grant.Token;
    }

    /// <summary>The sandbox's API as someone in the CRM calls it with <paramref name="token"/>, behind Sync's back.</summary>
    public HttpClient ApiClient(string token)
    {
        var http = new HttpClient { BaseAddress = Sandbox.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Add("Version", "2021-07-28");
        return http;
    }

    /// <summary>Creates a contact with <paramref name="email"/> straight at the sandbox (<see cref="ApiClient"/>); returns its id.</summary>
    public async Task<string> CreateContactAtApiAsync(string token, string locationId, string email)
    {
        using var http = ApiClient(token);
        using var response = await http.PostAsJsonAsync("contacts/upsert", new { locationId, email });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("contact").GetProperty("id").GetString()!;
    }

    /// <summary>
    /// Installs the location with OAuth as the ingress's callback does: a sandbox code exchanged for tokens that live
    /// <paramref name="lifetimeSeconds"/> (the harness refreshes 5 s before expiry).
    /// </summary>
    public async Task InstallOAuthAsync(string locationId, int lifetimeSeconds)
    {
        var code = Sandbox.State.Tokens.IssueAuthorizationCode(locationId, accessTokenLifetimeSeconds: lifetimeSeconds);
        var token = await Services.GetRequiredService<HoopAiOAuthClient>().ExchangeAuthorizationCodeAsync(code, CancellationToken.None);
        await Services.GetRequiredService<IInstallationStore>().SaveAsync(
            new Installation(locationId, token.CompanyId, AuthMode.OAuth, InstallationStatus.Active, token.AccessToken, token.RefreshToken,
                DateTimeOffset.UtcNow.AddSeconds(token.ExpiresIn), DateTimeOffset.UtcNow),
            CancellationToken.None);
    }

    /// <summary>The stored status of a location's installation, or null.</summary>
    public async Task<InstallationStatus?> StatusOfAsync(string locationId) =>
        (await Services.GetRequiredService<IInstallationStore>().GetAsync(locationId, CancellationToken.None))?.Status;

    /// <summary>How many messages the work queues' error queues hold (exact counts over AMQP).</summary>
    public async Task<long> DeadLettersAsync()
    {
        await using var queues = await BrokerQueues.OpenAsync(VirtualHost);
        long total = 0;
        foreach (var (queue, _) in RedeliveryTopologyInitializer.WorkQueues)
        {
            var errors = RedeliveryTopologyInitializer.ErrorQueueOf(queue);
            total += await queues.ExistsAsync(errors) ? await queues.CountAsync(errors) : 0;
        }

        return total;
    }

    /// <summary>Publishes a webhook as the ingress would: message id from (source, event id).</summary>
    public Task PublishAsync(string source, string eventId, string type, string locationId, DateTimeOffset occurredAt, byte[] body) =>
        Services.GetRequiredService<IBus>().Publish(
            new WebhookReceived(source, eventId, type, locationId, occurredAt, DateTimeOffset.UtcNow, Encoding.UTF8.GetString(body)),
            ctx => ctx.MessageId = DeterministicId.ForWebhook(source, eventId));

    public Task PublishAsync(SourceEvent e) => PublishAsync("crm", e.Id, e.Type, e.LocationId, e.OccurredAt, e.ToJson());

    /// <summary>Hands a source event over as the ingress does (<see cref="WebhookHandoff"/>: its lane, a confirm, the outbox if need be).</summary>
    public async Task<HandoffOutcome> HandOffAsync(SourceEvent e) =>
        await Services.GetRequiredService<WebhookHandoff>().HandOffAsync(
            new WebhookReceived("crm", e.Id, e.Type, e.LocationId, e.OccurredAt, DateTimeOffset.UtcNow, Encoding.UTF8.GetString(e.ToJson())),
            CancellationToken.None);

    public Task PublishAsync(PlatformEvent e) => PublishAsync("hoopai", e.WebhookId, e.Type, e.LocationId, e.Timestamp, e.ToJson());

    /// <summary>The sandbox's contacts of a location, as the fold compares them.</summary>
    public IReadOnlyList<ActualContact> ContactsOf(string locationId) =>
        [.. Sandbox.State.Contacts.ForLocation(locationId)
            .Select(c => new ActualContact(c.Email, c.Phone, c.FirstName, c.LastName, c.CompanyName, c.Tags))];

    /// <summary>Polls until <paramref name="done"/> holds or the timeout passes; returns whether it held.</summary>
    public static Task<bool> EventuallyAsync(Func<Task<bool>> done, TimeSpan timeout) =>
        Eventually.HoldsAsync(done, timeout, TimeSpan.FromMilliseconds(500));

    public async ValueTask DisposeAsync()
    {
        foreach (var other in _others)
        {
            await other.StopAsync();
            other.Dispose();
        }

        await Host.StopAsync();
        Host.Dispose();
        await Sandbox.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
    }
}
