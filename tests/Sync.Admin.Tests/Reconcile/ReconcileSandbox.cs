using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sync.HoopAi;
using Sync.HoopAi.Api;
using Sync.Sandbox;
using Sync.Storage;

namespace Sync.Admin.Tests.Reconcile;

/// <summary>
/// A fixture's world for paging, export and reconcile: its own database (migrated), the sandbox on loopback with one
/// location whose private-integration token is installed, the settings that point <c>sync-admin</c> at both, and the
/// API client as a host builds it.
/// </summary>
internal sealed class ReconcileSandbox : IAsyncDisposable
{
    private ReconcileSandbox(AdminTestDatabase database, SandboxServer sandbox, string locationId)
    {
        Database = database;
        Sandbox = sandbox;
        LocationId = locationId;
        Settings = new Dictionary<string, string?>(database.Settings)
        {
            ["Sync:HoopAi:BaseUrl"] = sandbox.BaseAddress.ToString(),
            ["Sync:HoopAi:RateLimitMax"] = "1000",
            ["Sync:HoopAi:RateLimitInterval"] = "00:00:01",
            ["Sync:Reconcile:SettleTime"] = "00:00:00",
        };
        Services = BuildServices(Settings);
    }

    public AdminTestDatabase Database { get; }

    public SandboxServer Sandbox { get; }

    public string LocationId { get; }

    /// <summary>What <c>sync-admin</c> runs with: the database, the sandbox as the API, raised limits.</summary>
    public Dictionary<string, string?> Settings { get; }

    /// <summary>Storage and the API client, registered as the worker registers them.</summary>
    public ServiceProvider Services { get; }

    public HoopAiClient Client => Services.GetRequiredService<HoopAiClient>();

    public IContactIndexStore Index => Services.GetRequiredService<IContactIndexStore>();

    /// <summary>Starts a sandbox (limits raised so a fixture stays fast) and installs one location's token.</summary>
    public static async Task<ReconcileSandbox> StartAsync(int burstLimit = 1000, int burstIntervalMilliseconds = 1000)
    {
        var database = await AdminTestDatabase.CreateAsync();
        var sandbox = await SandboxServer.StartAsync(new SandboxOptions
        {
            RateLimit = { BurstLimit = burstLimit, BurstIntervalMilliseconds = burstIntervalMilliseconds },
        });
        var locationId = "RcLoc" + Guid.NewGuid().ToString("N")[..15];
        var grant = sandbox.State.Tokens.RegisterPrivateToken(locationId);
        await database.SeedInstallationAsync(locationId, accessToken: grant.Token);
        return new ReconcileSandbox(database, sandbox, locationId);
    }

    public static ServiceProvider BuildServices(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSyncStorage(configuration);
        services.AddSyncHoopAi(configuration);
        services.AddSyncHoopAiClient();
        return services.BuildServiceProvider();
    }

    /// <summary>Creates contacts directly in the sandbox (its seed route: no API call, no budget), in batches.</summary>
    /// <remarks>Contact i gets the email <c>{prefix}{i}@example.com</c> and the phone <c>+1{phoneBase + i}</c>.</remarks>
    public async Task<IReadOnlyList<string>> SeedAsync(int count, string prefix, long phoneBase = 5_550_000_000)
    {
        using var http = new HttpClient { BaseAddress = Sandbox.BaseAddress };
        var ids = new List<string>(count);
        for (var start = 0; start < count; start += 2000)
        {
            var batch = Enumerable.Range(start, Math.Min(2000, count - start))
                .Select(i => new { email = $"{prefix}{i}@example.com", phone = $"+1{phoneBase + i}", firstName = $"First{i}", lastName = $"Last{i}" })
                .ToArray();
            using var response = await http.PostAsJsonAsync($"_sandbox/locations/{LocationId}/contacts", new { contacts = batch });
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            ids.AddRange(body.GetProperty("ids").EnumerateArray().Select(e => e.GetString()!));
        }

        return ids;
    }

    /// <summary>The location's contacts as the sandbox holds them (its inspection route).</summary>
    public async Task<IReadOnlyList<JsonElement>> ContactsAsync()
    {
        using var http = new HttpClient { BaseAddress = Sandbox.BaseAddress };
        var body = await http.GetFromJsonAsync<JsonElement>($"_sandbox/locations/{LocationId}/contacts");
        return body.GetProperty("contacts").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Runs <c>sync-admin</c> in-process with <see cref="Settings"/>.</summary>
    public Task<CliResult> RunAsync(params string[] args) => AdminTestDatabase.RunWithSettingsAsync(Settings, "", args);

    /// <summary>Runs <c>sync-admin</c> in-process as if its output were a terminal (tables and progress bars, not JSON).</summary>
    public async Task<CliResult> RunAtTerminalAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new AdminConsole(new StringReader(""), stdout, stderr, isInteractive: false, outputIsTerminal: true);
        var exitCode = await AdminCli.RunAsync(args, console, new ConfigurationBuilder().AddInMemoryCollection(Settings).Build());
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Sandbox.DisposeAsync();
        await Database.DisposeAsync();
    }
}
