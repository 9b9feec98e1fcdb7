using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Sync.Storage;

namespace Sync.Ingress.Internal;

/// <summary>
/// Stores the installation of a completed OAuth callback. The code behind it is single-use and already spent, so a
/// failed write must not lose the tokens: the write is retried at once (<see cref="OAuthInstallOptions.StoreAttempts"/>),
/// and if it still fails the installation waits here and <see cref="InstallationRetryService"/> keeps writing it until
/// the database takes it (the store encrypts the tokens then). What waits is held only in this process's memory.
/// </summary>
internal sealed partial class InstallationRecorder(
    IInstallationStore store, KnownLocations locations, IOptions<IngressOptions> options, TimeProvider time, ILogger<InstallationRecorder> logger)
{
    private readonly ConcurrentDictionary<string, Installation> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);

    /// <summary>Installations waiting to be stored.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>True when stored now; false when kept to be stored later.</summary>
    public async Task<bool> StoreAsync(Installation installation, CancellationToken cancellationToken)
    {
        var oauth = options.Value.OAuth;
        var delay = oauth.StoreRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.SaveAsync(installation, CancellationToken.None);
                locations.Remember(installation.LocationId);
                return true;
            }
            catch (Exception ex) when (attempt < oauth.StoreAttempts && !cancellationToken.IsCancellationRequested)
            {
                LogStoreRetry(logger, installation.LocationId, attempt, ex.GetType().Name);
                await Task.Delay(delay, time, CancellationToken.None);
                delay *= 2;
            }
            catch (Exception ex)
            {
                _pending[installation.LocationId] = installation;
                _signal.Release();
                LogKeptPending(logger, installation.LocationId, attempt, ex.GetType().Name);
                return false;
            }
        }
    }

    /// <summary>Writes every waiting installation once; returns how many still wait.</summary>
    public async Task<int> RetryPendingAsync(CancellationToken cancellationToken)
    {
        foreach (var (locationId, installation) in _pending)
        {
            try
            {
                await store.SaveAsync(installation, cancellationToken);
                _pending.TryRemove(new KeyValuePair<string, Installation>(locationId, installation));
                locations.Remember(locationId);
                LogStoredLater(logger, locationId);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogStillPending(logger, locationId, ex.GetType().Name);
            }
        }

        return _pending.Count;
    }

    /// <summary>Waits until something is kept, or <paramref name="timeout"/> passes.</summary>
    public Task WaitForPendingAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning,
        Message = "Storing the OAuth installation of location {LocationId} failed ({ExceptionType}, attempt {Attempt}); retrying")]
    private static partial void LogStoreRetry(ILogger logger, string locationId, int attempt, string exceptionType);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error,
        Message = "Storing the OAuth installation of location {LocationId} failed {Attempts} times ({ExceptionType}); its tokens are kept in memory and written again every few seconds. Check the database; if this process stops first, the location must install again")]
    private static partial void LogKeptPending(ILogger logger, string locationId, int attempts, string exceptionType);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Stored the waiting OAuth installation of location {LocationId}")]
    private static partial void LogStoredLater(ILogger logger, string locationId);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "The OAuth installation of location {LocationId} still cannot be stored ({ExceptionType})")]
    private static partial void LogStillPending(ILogger logger, string locationId, string exceptionType);
}

/// <summary>Writes the installations <see cref="InstallationRecorder"/> keeps, every 5 seconds while any wait.</summary>
internal sealed class InstallationRetryService(InstallationRecorder recorder) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await recorder.WaitForPendingAsync(Interval, stoppingToken);
                if (recorder.PendingCount > 0)
                {
                    await Task.Delay(Interval, stoppingToken);
                    await recorder.RetryPendingAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
