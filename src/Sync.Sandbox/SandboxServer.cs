using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Sync.Sandbox;

/// <summary>
/// The sandbox started in-process on 127.0.0.1 (port 0 unless told otherwise), for tests and benchmarks: real HTTP,
/// with <see cref="State"/> to read contacts and counts and to change limits and faults while it runs.
/// </summary>
public sealed class SandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SandboxServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        State = app.Services.GetRequiredService<SandboxState>();
    }

    /// <summary>Where the sandbox listens, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The sandbox's contacts, tokens, limits, faults and request counts.</summary>
    public SandboxState State { get; }

    /// <summary>Starts a sandbox.</summary>
    /// <param name="options">Its options; the documented defaults when null.</param>
    /// <param name="time">The clock for token expiry, rate limits and dates; the system clock when null.</param>
    /// <param name="port">The port on 127.0.0.1; 0 (default) picks a free one.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<SandboxServer> StartAsync(
        SandboxOptions? options = null, TimeProvider? time = null, int port = 0, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.AddSyncSandbox(options ?? new SandboxOptions());
        var app = builder.Build();
        app.UseSyncSandbox();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SandboxServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>
    /// A client for the API: base address set, <c>Version: 2021-07-28</c> and <c>Accept: application/json</c> sent,
    /// and the bearer token when given. The caller disposes it.
    /// </summary>
    public HttpClient CreateClient(string? bearerToken = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("Version", SandboxOptions.ApiVersion);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (bearerToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        return client;
    }

    /// <summary>Stops the sandbox.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
