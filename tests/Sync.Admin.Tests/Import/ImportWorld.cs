using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sync.Components;
using Sync.Sandbox;
using Sync.Testing;

namespace Sync.Admin.Tests.Import;

/// <summary>
/// A fixture's world for import and diff: its own database (migrated) and RabbitMQ virtual host, the sandbox on
/// loopback with one installed location, and a whole worker in-process applying what <c>sync-admin</c> queues, as
/// <c>infra/run-local.sh</c> runs one beside the CLI.
/// </summary>
internal sealed class ImportWorld : IAsyncDisposable
{
    private ImportWorld(AdminTestDatabase database, RabbitMqTestVirtualHost vhost, SandboxServer sandbox, string locationId, IHost worker, Dictionary<string, string?> settings)
    {
        Database = database;
        VirtualHost = vhost;
        Sandbox = sandbox;
        LocationId = locationId;
        Worker = worker;
        Settings = settings;
    }

    public AdminTestDatabase Database { get; }

    public RabbitMqTestVirtualHost VirtualHost { get; }

    public SandboxServer Sandbox { get; }

    public string LocationId { get; }

    public IHost Worker { get; }

    /// <summary>What <c>sync-admin</c> and the worker run with.</summary>
    public Dictionary<string, string?> Settings { get; }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("sync-import-test-").FullName;

    public static async Task<ImportWorld> StartAsync()
    {
        var database = await AdminTestDatabase.CreateAsync();
        var vhost = await RabbitMqTestVirtualHost.CreateAsync("sync-import");
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            RateLimit = { BurstLimit = 1000, BurstIntervalMilliseconds = 1000 },
        });
        var locationId = "ImLoc" + Guid.NewGuid().ToString("N")[..15];
        var grant = sandbox.State.Tokens.RegisterPrivateToken(locationId);
        await database.SeedInstallationAsync(locationId, accessToken: grant.Token);

        var settings = new Dictionary<string, string?>(database.Settings)
        {
            ["Sync:HoopAi:BaseUrl"] = sandbox.BaseAddress.ToString(),
            ["Sync:HoopAi:RateLimitMax"] = "1000",
            ["Sync:HoopAi:RateLimitInterval"] = "00:00:01",
            ["Sync:RabbitMq:Host"] = vhost.Host,
            ["Sync:RabbitMq:Port"] = vhost.Port.ToString(CultureInfo.InvariantCulture),
            ["Sync:RabbitMq:VirtualHost"] = vhost.Name,
            ["Sync:RabbitMq:Username"] = vhost.Username,
            ["Sync:RabbitMq:Password"] = vhost.Password,
            ["Sync:Worker:TagBatchTimeLimit"] = "00:00:01",
            ["Sync:Outbox:PollInterval"] = "00:00:00.100",
            ["Sync:Worker:Http:Urls"] = "",
        };

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        if (ProgressLoggerProvider.Requested)
        {
            builder.Logging.AddProvider(new ProgressLoggerProvider(LogLevel.Information)).SetMinimumLevel(LogLevel.Information);
        }

        builder.Services.AddSyncWorker(builder.Configuration);
        var worker = builder.Build();
        await worker.StartAsync();
        var bus = worker.Services.GetRequiredService<IBusControl>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (bus.CheckHealth().Status != BusHealthStatus.Healthy && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return new ImportWorld(database, vhost, sandbox, locationId, worker, settings);
    }

    /// <summary>Writes a file into the fixture's folder and returns its path.</summary>
    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Runs <c>sync-admin</c> in-process with <see cref="Settings"/>.</summary>
    public Task<CliResult> RunAsync(params string[] args) => AdminTestDatabase.RunWithSettingsAsync(Settings, "", args);

    /// <summary>The location's contacts as the sandbox holds them.</summary>
    public async Task<IReadOnlyList<JsonElement>> ContactsAsync()
    {
        using var http = new HttpClient { BaseAddress = Sandbox.BaseAddress };
        var body = await http.GetFromJsonAsync<JsonElement>($"_sandbox/locations/{LocationId}/contacts");
        return body.GetProperty("contacts").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Changes contacts "by hand" through the sandbox's seed route (upsert rules: matched by email; tags replace the list).</summary>
    public async Task SeedAsync(params object[] contacts)
    {
        using var http = new HttpClient { BaseAddress = Sandbox.BaseAddress };
        using var response = await http.PostAsJsonAsync($"_sandbox/locations/{LocationId}/contacts", new { contacts });
        response.EnsureSuccessStatusCode();
    }

    /// <summary>API calls of a route (any status) so far.</summary>
    public long Calls(string route) => Sandbox.State.Requests.Count(route);

    /// <summary>Every API call so far.</summary>
    public long AllCalls() => Sandbox.State.Requests.Snapshot().Sum(c => c.Count);

    /// <summary>Polls until <paramref name="done"/> holds or the timeout passes; returns whether it held.</summary>
    public static Task<bool> EventuallyAsync(Func<Task<bool>> done, TimeSpan timeout) =>
        Eventually.HoldsAsync(done, timeout, TimeSpan.FromMilliseconds(500));

    public async ValueTask DisposeAsync()
    {
        await Worker.StopAsync();
        Worker.Dispose();
        await Sandbox.DisposeAsync();
        await VirtualHost.DisposeAsync();
        await Database.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
