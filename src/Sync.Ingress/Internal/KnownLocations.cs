using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Sync.Storage;

namespace Sync.Ingress.Internal;

/// <summary>
/// The installed locations (active or awaiting re-authorisation), cached in memory: reloaded periodically by <see cref="LocationRefreshService"/>, and at once
/// (single-flight, at most once per <see cref="IngressOptions.LocationMissRefreshInterval"/>) when an event names a
/// location the cache does not hold. When the database cannot be asked, cached locations are still known and others
/// are reported <see cref="LocationCheck.Unavailable"/> (a transient fault: the ingress answers 429, not 403).
/// </summary>
internal sealed partial class KnownLocations(
    IInstallationStore store, IOptions<IngressOptions> options, TimeProvider time, ILogger<KnownLocations> logger)
{
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly ConcurrentDictionary<string, byte> _installedHere = new(StringComparer.Ordinal);
    private volatile FrozenSet<string> _active = FrozenSet<string>.Empty;
    private long _lastAttemptTicks = DateTimeOffset.MinValue.UtcTicks;
    private volatile bool _lastAttemptFailed = true;

    /// <summary>How many locations are cached.</summary>
    public int Count => _active.Count;

    /// <summary>Whether events for <paramref name="locationId"/> are accepted.</summary>
    public async Task<LocationCheck> CheckAsync(string locationId, CancellationToken cancellationToken)
    {
        if (Contains(locationId))
        {
            return LocationCheck.Known;
        }

        var interval = options.Value.LocationMissRefreshInterval;
        if (time.GetUtcNow() - LastAttempt >= interval)
        {
            await RefreshAsync(notBefore: time.GetUtcNow() - interval, cancellationToken);
        }

        if (Contains(locationId))
        {
            return LocationCheck.Known;
        }

        return _lastAttemptFailed ? LocationCheck.Unavailable : LocationCheck.Unknown;
    }

    /// <summary>
    /// Adds a location this process just saw installed (an accepted <c>INSTALL</c>, a completed OAuth callback), so its
    /// first events are not refused before the database says so. The next successful reload replaces it.
    /// </summary>
    public void Remember(string locationId) => _installedHere[locationId] = 0;

    /// <summary>Reloads the set now (unless another caller reloaded it after <paramref name="notBefore"/>).</summary>
    public async Task RefreshAsync(DateTimeOffset notBefore, CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken);
        try
        {
            if (LastAttempt > notBefore)
            {
                return; // someone else tried while this caller waited
            }

            var timeout = options.Value.LocationLookupTimeout;
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(timeout);
            Task<IReadOnlyCollection<string>>? load = null;
            try
            {
                load = store.ListInstalledLocationIdsAsync(bound.Token);
                var ids = await load.WaitAsync(timeout, cancellationToken);
                _active = ids.ToFrozenSet(StringComparer.Ordinal);
                _installedHere.Clear();
                _lastAttemptFailed = false;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                // Read a late failure of an abandoned load, so it is never reported as unobserved.
                _ = load?.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                _lastAttemptFailed = true;
                LogRefreshFailed(logger, ex.GetType().Name, _active.Count);
            }
            finally
            {
                Interlocked.Exchange(ref _lastAttemptTicks, time.GetUtcNow().UtcTicks);
            }
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private DateTimeOffset LastAttempt => new(Interlocked.Read(ref _lastAttemptTicks), TimeSpan.Zero);

    private bool Contains(string locationId) => _active.Contains(locationId) || _installedHere.ContainsKey(locationId);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning,
        Message = "Could not load the active locations ({ExceptionType}); keeping the {Count} cached")]
    private static partial void LogRefreshFailed(ILogger logger, string exceptionType, int count);
}

/// <summary>The answer of <see cref="KnownLocations.CheckAsync"/>.</summary>
internal enum LocationCheck
{
    /// <summary>An installation, active or suspended (a suspended location's work waits in the worker).</summary>
    Known,

    /// <summary>Not installed: events for it are refused with 403.</summary>
    Unknown,

    /// <summary>Not cached and the database could not be asked: a transient fault (429).</summary>
    Unavailable,
}

/// <summary>Reloads <see cref="KnownLocations"/> at start and then every <see cref="IngressOptions.LocationRefreshInterval"/>.</summary>
internal sealed class LocationRefreshService(KnownLocations locations, IOptions<IngressOptions> options, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await locations.RefreshAsync(time.GetUtcNow(), stoppingToken);
                await Task.Delay(options.Value.LocationRefreshInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
