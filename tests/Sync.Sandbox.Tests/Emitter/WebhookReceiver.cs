using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;

namespace Sync.Sandbox.Tests.Emitter;

/// <summary>
/// A real HTTP receiver on 127.0.0.1 that checks signatures on its own (NSec for Ed25519, HMAC-SHA256 for Standard
/// Webhooks) and records what arrived: 200 for a valid signature, 401 otherwise.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public ConcurrentQueue<Received> Received { get; } = new();

    /// <param name="ed25519PublicSpki">Verify Ed25519 signatures with this key.</param>
    /// <param name="secret">Verify Standard Webhooks signatures with this secret.</param>
    /// <param name="firstAnswers">Statuses answered to the first arrivals, in order, whatever their signature (e.g. 503, 429).</param>
    public static async Task<WebhookReceiver> StartAsync(string? ed25519PublicSpki = null, string? secret = null, IReadOnlyList<int>? firstAnswers = null)
    {
        var answers = new ConcurrentQueue<int>(firstAnswers ?? []);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var valid = ed25519PublicSpki is not null
                ? VerifyEd25519(ed25519PublicSpki, body, context.Request.Headers["X-GHL-Signature"].ToString())
                : VerifyStandard(secret!, body, context.Request.Headers);
            receiver!.Received.Enqueue(new Received(
                context.Request.Headers["webhook-id"].ToString(), Encoding.UTF8.GetString(body), valid,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            return answers.TryDequeue(out var forced) ? Results.StatusCode(forced) : valid ? Results.Ok() : Results.Unauthorized();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new WebhookReceiver(app, new Uri(address.TrimEnd('/') + "/hook"));
        return receiver;
    }

    private static bool VerifyEd25519(string spki, byte[] body, string signature)
    {
        var algorithm = SignatureAlgorithm.Ed25519;
        var key = PublicKey.Import(algorithm, Convert.FromBase64String(spki), KeyBlobFormat.PkixPublicKey);
        return algorithm.Verify(key, body, Convert.FromBase64String(signature));
    }

    private static bool VerifyStandard(string secret, byte[] body, IHeaderDictionary headers)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{headers["webhook-id"]}.{headers["webhook-timestamp"]}.").Concat(body).ToArray();
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
        return headers["webhook-signature"].ToString().Split(' ').Contains(expected);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record Received(string WebhookId, string Body, bool Valid, IReadOnlyDictionary<string, string> Headers);
