using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Sync.Sandbox.Limits;

/// <summary>Counts calls per (method, route template, status), for tests and benchmarks to read.</summary>
public sealed class RequestCounter
{
    private readonly ConcurrentDictionary<RequestCountKey, StrongBox<long>> _counts = new();

    /// <summary>Every count so far, ordered by route, method and status.</summary>
    public IReadOnlyList<RequestCount> Snapshot() =>
    [
        .. _counts
            .Select(p => new RequestCount(p.Key.Method, p.Key.Route, p.Key.Status, Interlocked.Read(ref p.Value.Value)))
            .OrderBy(c => c.Route, StringComparer.Ordinal).ThenBy(c => c.Method, StringComparer.Ordinal).ThenBy(c => c.Status),
    ];

    /// <summary>Calls of one route (any method unless given) answered with <paramref name="status"/>, or with any status when null.</summary>
    public long Count(string route, int? status = null, string? method = null) =>
        _counts.Where(p => p.Key.Route == route && (status is null || p.Key.Status == status) && (method is null || p.Key.Method == method))
            .Sum(p => Interlocked.Read(ref p.Value.Value));

    internal void Record(string method, string route, int status)
    {
        var box = _counts.GetOrAdd(new RequestCountKey(method, route, status), static _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
    }

    internal void Reset() => _counts.Clear();

    private readonly record struct RequestCountKey(string Method, string Route, int Status);
}

/// <summary>How many calls of one route were answered with one status.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Route">The route template, e.g. <c>/contacts/{id}/tags</c>.</param>
/// <param name="Status">The status answered; 499 for a call the client gave up on.</param>
/// <param name="Count">How many.</param>
public sealed record RequestCount(string Method, string Route, int Status, long Count);
