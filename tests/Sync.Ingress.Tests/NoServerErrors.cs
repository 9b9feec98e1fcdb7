using System.Collections.Concurrent;

namespace Sync.Ingress.Tests;

/// <summary>
/// The suite-wide promise that the ingress never answers 5xx: every response any test receives goes through
/// <see cref="ResponseLog"/>, and the run fails at the end if one of them was a server error.
/// </summary>
[SetUpFixture]
public sealed class NoServerErrors
{
    [OneTimeTearDown]
    public void Should_not_have_answered_any_request_with_a_server_error()
    {
        Assert.That(ResponseLog.ServerErrors, Is.Empty,
            $"The ingress answered 5xx {ResponseLog.ServerErrors.Count} time(s) out of {ResponseLog.Count} responses.");
    }
}

/// <summary>Counts the responses tests receive and keeps every 5xx.</summary>
public static class ResponseLog
{
    private static long _count;

    public static ConcurrentQueue<string> ServerErrors { get; } = new();

    public static long Count => Interlocked.Read(ref _count);

    public static void Record(HttpRequestMessage request, HttpResponseMessage response)
    {
        Interlocked.Increment(ref _count);
        if ((int)response.StatusCode >= 500)
        {
            ServerErrors.Enqueue($"{request.Method} {request.RequestUri?.PathAndQuery} -> {(int)response.StatusCode}");
        }
    }
}

/// <summary>Puts every response through <see cref="ResponseLog"/>.</summary>
public sealed class RecordingHandler : DelegatingHandler
{
    public RecordingHandler()
        : base(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
    }

    public RecordingHandler(HttpMessageHandler transport)
        : base(transport)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        ResponseLog.Record(request, response);
        return response;
    }
}
