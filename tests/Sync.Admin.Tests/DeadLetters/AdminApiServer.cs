using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sync.AdminApi;

namespace Sync.Admin.Tests.DeadLetters;

/// <summary>The admin API on a free loopback port over a fixture's database, with two keys: one plain, one with the personal-data scope.</summary>
internal sealed class AdminApiServer : IAsyncDisposable
{
    public const string OperatorKey = "operator-key-0123456789abcdef0123456789";
    public const string PrivacyKey = "privacy-key-0123456789abcdef0123456789ab";

    private AdminApiServer(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public static async Task<AdminApiServer> StartAsync(AdminTestDatabase database)
    {
        var app = AdminApiApp.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(database.Settings);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sync:AdminApi:Keys:ops:Key"] = OperatorKey,
                ["Sync:AdminApi:Keys:privacy:Key"] = PrivacyKey,
                ["Sync:AdminApi:Keys:privacy:Scopes:0"] = "read",
                ["Sync:AdminApi:Keys:privacy:Scopes:1"] = "personal-data",
            });
            builder.Logging.ClearProviders();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new AdminApiServer(app, new Uri(address));
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = Address };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
