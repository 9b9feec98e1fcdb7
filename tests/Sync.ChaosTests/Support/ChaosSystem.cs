using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sync.Emitter;
using Sync.Storage;
using Sync.Testing;

namespace Sync.ChaosTests.Support;

/// <summary>
/// The whole system as deployed, every part a process of its own: the sandbox API, the ingress and two workers, built
/// hosts started with <c>dotnet</c>, against a fresh virtual host on the chaos RabbitMQ node and a fresh database on the
/// chaos PostgreSQL cluster. Processes can be killed (<c>kill -9</c>) and started again in their place.
/// </summary>
public sealed class ChaosSystem : IAsyncDisposable
{
    /// <summary>The configured source's name (<c>/webhooks/sources/crm</c>).</summary>
    public const string SourceName = "crm";

    /// <summary>The source name of platform events in message ids.</summary>
    public const string PlatformSource = "hoopai";

    /// <summary>The marketplace app id platform events carry.</summary>
    public const string AppId = "chaos-app";

    private static readonly string Key = Convert.ToBase64String(Encoding.ASCII.GetBytes("chaos-suite-token-key-32-bytes!!"));
    private readonly ServiceProvider _storage;
    private readonly string _logDirectory;
    private readonly Dictionary<string, StreamWriter> _logs = [];
    private readonly string _workerDll;
    private readonly string _ingressDll;
    private readonly int _ingressPort;
    private readonly int[] _workerPorts;

    private ChaosSystem(PostgresTestDatabase database, string vhost, ServiceProvider storage, string logDirectory)
    {
        Database = database;
        VirtualHost = vhost;
        _storage = storage;
        _logDirectory = logDirectory;
        _workerDll = HostProcess.FindBuilt("Sync.Worker");
        _ingressDll = HostProcess.FindBuilt("Sync.Ingress");
        _ingressPort = HostProcess.FreePort();
        _workerPorts = [HostProcess.FreePort(), HostProcess.FreePort()];
        Workers = new HostProcess[_workerPorts.Length];
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        SourceSecret = StandardWebhookSigner.GenerateSecret();
        PlatformKey = Ed25519WebhookSigner.Generate();
    }

    /// <summary>The run's database on the chaos cluster.</summary>
    public PostgresTestDatabase Database { get; }

    /// <summary>The run's virtual host on the chaos broker node.</summary>
    public string VirtualHost { get; }

    /// <summary>A client for the sandbox's inspection API and the hosts' health endpoints.</summary>
    public HttpClient Http { get; }

    /// <summary>The sandbox process.</summary>
    public HostProcess Sandbox { get; private set; } = null!;

    /// <summary>Where the sandbox listens.</summary>
    public Uri SandboxAddress { get; private set; } = null!;

    /// <summary>The ingress process (replaced when restarted).</summary>
    public HostProcess Ingress { get; private set; } = null!;

    /// <summary>Where the ingress listens (the same after a restart).</summary>
    public Uri IngressAddress => new($"http://127.0.0.1:{_ingressPort}");

    /// <summary>The worker processes (an entry is replaced when restarted).</summary>
    public HostProcess[] Workers { get; }

    /// <summary>The Standard Webhooks secret of the source.</summary>
    public string SourceSecret { get; }

    /// <summary>The platform's signing key.</summary>
    public Ed25519WebhookSigner PlatformKey { get; }

    /// <summary>Creates the database and virtual host, starts the sandbox, a worker (which migrates), the ingress and a second worker.</summary>
    public static async Task<ChaosSystem> StartAsync(string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        var database = await PostgresTestDatabase.CreateAsync("sync_chaos", TestSettings.ChaosPostgres);
        var vhost = await ChaosServices.CreateVirtualHostAsync();
        var storage = new ServiceCollection().AddLogging().AddSyncStorage(o =>
        {
            o.Provider = DatabaseProvider.PostgreSql;
            o.ConnectionString = database.ConnectionString;
            o.ActiveKeyId = "chaos";
            o.EncryptionKeys["chaos"] = Key;
        }).BuildServiceProvider();
        await storage.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);
        var system = new ChaosSystem(database, vhost, storage, logDirectory);
        await system.StartSandboxAsync();
        await system.StartWorkerAsync(0);
        await Task.WhenAll(system.StartIngressAsync(), system.StartWorkerAsync(1));
        return system;
    }

    /// <summary>Installs a location as a private integration: a token registered at the sandbox and stored, encrypted.</summary>
    public async Task InstallAsync(string locationId)
    {
        var token = await IssueTokenAsync(locationId);
        await SaveInstallationAsync(locationId, token);
    }

    /// <summary>Revokes every token of a location at the sandbox: its calls are answered 401 from now on.</summary>
    public async Task RevokeTokenAsync(string locationId)
    {
        using var response = await Http.PostAsync(new Uri(SandboxAddress, $"/_sandbox/locations/{locationId}/revoke"), null);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Issues a new token for a location and stores it, as an operator's <c>sync-admin</c> rotation does.</summary>
    public async Task ReissueTokenAsync(string locationId) => await SaveInstallationAsync(locationId, await IssueTokenAsync(locationId));

    /// <summary>
    /// Runs <c>sync-admin</c> with <paramref name="args"/> against the suite's database and broker, as an operator would;
    /// its output goes to <c>admin.log</c>.
    /// </summary>
    /// <returns>Its exit code.</returns>
    public async Task<int> RunAdminAsync(params string[] args)
    {
        using var admin = HostProcess.Start(HostProcess.FindBuilt("Sync.Admin", "sync-admin"), args, "sync-admin", ApplyCommon, Log("admin"));
        return await admin.WaitForExitAsync(TimeSpan.FromSeconds(120));
    }

    /// <summary>Replaces the sandbox's faults (<c>PUT /_sandbox/faults</c>), e.g. <c>{"error503Percent": 50}</c>.</summary>
    public async Task SetFaultsAsync(object faults)
    {
        using var response = await Http.PutAsJsonAsync(new Uri(SandboxAddress, "/_sandbox/faults"), faults);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Removes every sandbox fault.</summary>
    public async Task ClearFaultsAsync()
    {
        using var response = await Http.DeleteAsync(new Uri(SandboxAddress, "/_sandbox/faults"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The API calls the sandbox answered, summed over routes containing <paramref name="route"/> (any status).</summary>
    public async Task<long> RequestCountAsync(string route)
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(SandboxAddress, "/_sandbox/requests")));
        var total = 0L;
        foreach (var item in json.RootElement.GetProperty("requests").EnumerateArray())
        {
            if (item.GetProperty("route").GetString()!.Contains(route, StringComparison.Ordinal))
            {
                total += item.GetProperty("count").GetInt64();
            }
        }

        return total;
    }

    /// <summary>Every contact the sandbox holds for a location.</summary>
    public async Task<IReadOnlyList<ActualContact>> ContactsAsync(string locationId)
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(SandboxAddress, $"/_sandbox/locations/{locationId}/contacts")));
        return [.. json.RootElement.GetProperty("contacts").EnumerateArray().Select(c => new ActualContact(
            Text(c, "email"), Text(c, "phone"), Text(c, "firstName"), Text(c, "lastName"), Text(c, "companyName"),
            c.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array ? [.. tags.EnumerateArray().Select(t => t.GetString()!)] : []))];

        static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>
    /// With the hosts stopped, takes every message off every queue of the run (work queues, wait tiers, error queues and
    /// MassTransit's <c>_skipped</c> queues, where it puts what no consumer of an endpoint took) and returns, for each,
    /// its queue, message type and the event id it carries.
    /// </summary>
    public async Task<IReadOnlyList<(string Queue, string Type, string? EventId)>> TakeEveryMessageAsync()
    {
        var broker = TestSettings.ChaosRabbitMq;
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(broker, Uri.EscapeDataString(VirtualHost)) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var taken = new List<(string, string, string?)>();
        foreach (var queue in (await ChaosServices.QueuesAsync(VirtualHost)).Where(q => q.Value > 0).Select(q => q.Key))
        {
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                var body = Encoding.UTF8.GetString(message.Body.Span);
                taken.Add((queue, JsonText.Find(body, "messageType") ?? "?", JsonText.Find(body, "sourceEventId") ?? JsonText.Find(body, "eventId")));
            }
        }

        return taken;
    }

    /// <summary>Kills a worker (SIGKILL) and starts another in its place; the task returned completes when it is ready.</summary>
    public Task KillAndRestartWorker(int index)
    {
        Workers[index].Kill();
        Workers[index].Dispose();
        return StartWorkerAsync(index);
    }

    /// <summary>
    /// Kills the ingress (SIGKILL) and, after <paramref name="down"/>, starts another on the same port; the task
    /// returned completes when it is ready.
    /// </summary>
    public async Task<Task> KillAndRestartIngressAsync(TimeSpan down)
    {
        Ingress.Kill();
        Ingress.Dispose();
        await Task.Delay(down);
        return StartIngressAsync();
    }

    /// <summary>Stops every host gracefully (SIGTERM), the workers first finishing what they hold.</summary>
    public async Task StopHostsAsync()
    {
        await Task.WhenAll([Ingress.StopAsync(), .. Workers.Select(w => w.StopAsync())]);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var host in Workers.Append(Ingress).Append(Sandbox).OfType<HostProcess>())
        {
            host.Dispose();
        }

        foreach (var log in _logs.Values)
        {
            await log.DisposeAsync();
        }

        Http.Dispose();
        PlatformKey.Dispose();
        await _storage.DisposeAsync();
        await ChaosServices.EnsureDatabaseStartedAsync();
        await Database.DisposeAsync();
        await ChaosServices.EnsureBrokerStartedAsync();
        await ChaosServices.DeleteVirtualHostAsync(VirtualHost);
    }

    private async Task<string> IssueTokenAsync(string locationId)
    {
        var token = "pit-chaos-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        using var response = await Http.PostAsJsonAsync(new Uri(SandboxAddress, "/_sandbox/tokens"), new { locationId, token });
        response.EnsureSuccessStatusCode();
        return token;
    }

    // The suite's own pool may hold connections the last database restart broke: dropped and tried again.
    private async Task SaveInstallationAsync(string locationId, string token)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _storage.GetRequiredService<IInstallationStore>().SaveAsync(new Installation(locationId, null, AuthMode.PrivateIntegration,
                    InstallationStatus.Active, token, null, null, DateTimeOffset.UtcNow), CancellationToken.None);
                return;
            }
            catch (NpgsqlException) when (attempt < 10)
            {
                NpgsqlConnection.ClearAllPools();
                await Task.Delay(500);
            }
        }
    }

    private async Task StartSandboxAsync()
    {
        var port = HostProcess.FreePort();
        SandboxAddress = new Uri($"http://127.0.0.1:{port}");
        Sandbox = HostProcess.Start(HostProcess.FindBuilt("Sync.Sandbox"), ["--urls", SandboxAddress.ToString()], "sandbox", env =>
        {
            env["DOTNET_ENVIRONMENT"] = "Production";
            env["Logging__LogLevel__Default"] = "Warning";
        }, Log("sandbox"));
        await Sandbox.WaitReadyAsync(Http, SandboxAddress, "sandbox", "/_sandbox/health");
    }

    private async Task StartWorkerAsync(int index)
    {
        var port = _workerPorts[index];
        var worker = HostProcess.Start(_workerDll, [], $"worker {index + 1}", env =>
        {
            ApplyCommon(env);
            env["Sync__Worker__Http__Urls"] = $"http://127.0.0.1:{port}";
        }, Log($"worker-{index + 1}"));
        Workers[index] = worker;
        await worker.WaitReadyAsync(Http, new Uri($"http://127.0.0.1:{port}"), $"worker {index + 1}");
    }

    private async Task StartIngressAsync()
    {
        Ingress = HostProcess.Start(_ingressDll, ["--urls", IngressAddress.ToString()], "ingress", env =>
        {
            ApplyCommon(env);
            env["Sync__Ingress__LocationMissRefreshInterval"] = "00:00:00";
            env["Sync__Ingress__Platform__Ed25519PublicKey"] = PlatformKey.PublicKeySpkiBase64;
            env["Sync__Ingress__Platform__AppId"] = AppId;
            env[$"Sync__Ingress__Sources__{SourceName}__Secrets__0"] = SourceSecret;
        }, Log("ingress"));
        await Ingress.WaitReadyAsync(Http, IngressAddress, "ingress");
    }

    private void ApplyCommon(IDictionary<string, string?> env)
    {
        var broker = TestSettings.ChaosRabbitMq;
        var credentials = broker.UserInfo.Split(':');
        env["DOTNET_ENVIRONMENT"] = "Production";
        env["MASSTRANSIT_USAGE_TELEMETRY"] = "false";
        env["Logging__LogLevel__Default"] = "Warning";
        env["Sync__Storage__Provider"] = "PostgreSql";
        env["Sync__Storage__ConnectionString"] = Database.ConnectionString;
        env["Sync__Storage__ActiveKeyId"] = "chaos";
        env["Sync__Storage__EncryptionKeys__chaos"] = Key;
        env["Sync__RabbitMq__Host"] = broker.Host;
        env["Sync__RabbitMq__Port"] = broker.Port.ToString(CultureInfo.InvariantCulture);
        env["Sync__RabbitMq__VirtualHost"] = VirtualHost;
        env["Sync__RabbitMq__Username"] = Uri.UnescapeDataString(credentials[0]);
        env["Sync__RabbitMq__Password"] = Uri.UnescapeDataString(credentials.ElementAtOrDefault(1) ?? "");
        env["Sync__HoopAi__BaseUrl"] = SandboxAddress.ToString();
        env["Sync__Outbox__PollInterval"] = "00:00:00.200";
    }

    private StreamWriter Log(string name)
    {
        if (!_logs.TryGetValue(name, out var writer))
        {
            writer = new StreamWriter(Path.Combine(_logDirectory, name + ".log"), append: true) { AutoFlush = true };
            _logs[name] = writer;
        }

        writer.WriteLine($"---- started {DateTime.UtcNow:O}");
        return writer;
    }
}
