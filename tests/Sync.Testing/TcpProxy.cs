using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Sync.Testing;

/// <summary>
/// A loopback TCP proxy a test controls: listens on 127.0.0.1 (port chosen by the system) and forwards every
/// connection to a target. <see cref="Disconnect"/> simulates an outage of the target without touching it: every live
/// connection is reset and new ones are refused until <see cref="Reconnect"/>. Point the code under test at
/// <see cref="Port"/> instead of the real service.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<long, (Socket Client, Socket Upstream)> _connections = new();
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private TcpListener? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private long _nextId;
    private bool _stalled;

    private TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
    }

    /// <summary>The port the proxy listens on (127.0.0.1).</summary>
    public int Port { get; private set; }

    /// <summary>
    /// True between <see cref="Stall"/> and <see cref="Resume"/>: connections stay open but no byte goes through, as
    /// with a target that hangs or a network that drops packets without a reset.
    /// </summary>
    public bool IsStalled => Volatile.Read(ref _stalled);

    /// <summary>True between <see cref="Disconnect"/> and <see cref="Reconnect"/>.</summary>
    public bool IsDisconnected { get; private set; }

    /// <summary>How many connections are being forwarded now.</summary>
    public int LiveConnections => _connections.Count;

    /// <summary>Starts a proxy to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    public static TcpProxy Start(string targetHost, int targetPort)
    {
        var proxy = new TcpProxy(targetHost, targetPort);
        proxy.Listen(0);
        return proxy;
    }

    /// <summary>Resets every live connection and refuses new ones (the listening socket is closed).</summary>
    public void Disconnect()
    {
        lock (_gate)
        {
            IsDisconnected = true;
            _listener?.Stop();
            _listener = null;
        }

        foreach (var id in _connections.Keys)
        {
            Drop(id);
        }
    }

    /// <summary>Holds every byte in both directions (connections stay open) until <see cref="Resume"/>.</summary>
    public void Stall() => Volatile.Write(ref _stalled, true);

    /// <summary>Lets the held bytes and everything after them through again.</summary>
    public void Resume() => Volatile.Write(ref _stalled, false);

    /// <summary>Accepts connections again, on the same port.</summary>
    public void Reconnect()
    {
        lock (_gate)
        {
            if (!IsDisconnected)
            {
                return;
            }

            Listen(Port);
            IsDisconnected = false;
        }
    }

    /// <summary>Stops the proxy and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        Disconnect();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _disposed.Dispose();
    }

    private void Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start(512);
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listener = listener;
        _acceptLoop = AcceptAsync(listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_disposed.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_disposed.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                return; // stopped by Disconnect or DisposeAsync
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await upstream.ConnectAsync(_targetHost, _targetPort, _disposed.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Reset(client);
            upstream.Dispose();
            return;
        }

        var id = Interlocked.Increment(ref _nextId);
        _connections[id] = (client, upstream);
        if (IsDisconnected)
        {
            Drop(id); // cut while this connection was being opened
            return;
        }

        await Task.WhenAny(PumpAsync(client, upstream), PumpAsync(upstream, client));
        Drop(id);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    return;
                }

                while (IsStalled && !_disposed.IsCancellationRequested)
                {
                    await Task.Delay(20);
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private void Drop(long id)
    {
        if (_connections.TryRemove(id, out var pair))
        {
            Reset(pair.Client);
            Reset(pair.Upstream);
        }
    }

    // Linger 0 makes Close send a reset: both ends see the connection die at once, as in a crash or a network cut.
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
