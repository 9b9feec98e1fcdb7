using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sync.ObservabilityTests.Support;

/// <summary>An OTLP/HTTP endpoint on loopback that accepts every export and remembers which signal it carried.</summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, long Bytes)> _exports;

    private OtlpReceiver(WebApplication app, ConcurrentQueue<(string Path, long Bytes)> exports)
    {
        _app = app;
        _exports = exports;
        Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public Uri Address { get; }

    /// <summary>The paths exported to (<c>/v1/traces</c>, <c>/v1/metrics</c>) with the size of each body.</summary>
    public IReadOnlyList<(string Path, long Bytes)> Exports => [.. _exports];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var exports = new ConcurrentQueue<(string Path, long Bytes)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            exports.Enqueue((context.Request.Path.Value!, body.Length));
            context.Response.ContentType = "application/x-protobuf";
            return Results.Ok();
        });
        await app.StartAsync();
        return new OtlpReceiver(app, exports);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
