using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Sync.ObservabilityTests.Support;

/// <summary>
/// An OTLP/HTTP endpoint on loopback that accepts every export and remembers which signal it carried. An
/// <see cref="HttpListener"/>, not ASP.NET Core: the hosts under test trace every ASP.NET Core request in the process,
/// and would trace the receiver's own requests too.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly ConcurrentQueue<(string Path, long Bytes)> _exports = new();
    private readonly Task _loop;

    private OtlpReceiver(HttpListener listener, Uri address)
    {
        _listener = listener;
        Address = address;
        _loop = Task.Run(ServeAsync);
    }

    public Uri Address { get; }

    /// <summary>The paths exported to (<c>/v1/traces</c>, <c>/v1/metrics</c>) with the size of each body.</summary>
    public IReadOnlyList<(string Path, long Bytes)> Exports => [.. _exports];

    public static OtlpReceiver Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var listener = new HttpListener();
        listener.Prefixes.Add(address.ToString());
        listener.Start();
        return new OtlpReceiver(listener, address);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (HttpListenerException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            _exports.Enqueue((context.Request.Url!.AbsolutePath, body.Length));
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }
}
