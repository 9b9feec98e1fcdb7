using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Sync.Storage;

namespace Sync.Ingress.Internal;

/// <summary>What became of an installation handed to <see cref="InstallationRecorder.StoreAsync"/>.</summary>
internal enum InstallationOutcome
{
    /// <summary>Written to the database.</summary>
    Stored,

    /// <summary>Kept encrypted in the spool directory; written once the database takes it, even after a restart.</summary>
    Kept,

    /// <summary>Neither the database nor the spool directory took it: held in this process's memory only.</summary>
    HeldInMemory,
}

/// <summary>
/// Stores the installation of a completed OAuth callback. The code behind it is single-use and already spent, so a
/// failed write must not lose the tokens: the write is retried at once (<see cref="OAuthInstallOptions.StoreAttempts"/>),
/// and if it still fails the installation is kept encrypted in the spool directory (<see cref="PendingInstallations"/>),
/// which <see cref="InstallationRetryService"/> writes to the database at start and every few seconds, so it survives
/// the process. Only if the spool cannot be written either does it wait in memory. Writes are serialised here, so an
/// older kept install can never overwrite a newer one stored meanwhile.
/// </summary>
internal sealed partial class InstallationRecorder(
    IInstallationStore store,
    PendingInstallations spool,
    KnownLocations locations,
    IOptions<IngressOptions> options,
    TimeProvider time,
    ILogger<InstallationRecorder> logger)
{
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly ConcurrentDictionary<string, Installation> _memory = new(StringComparer.Ordinal);

    // What was already reported as waiting (one warning until it is stored) or unreadable (one error per file version).
    private readonly ConcurrentDictionary<string, byte> _reportedWaiting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _reportedUnreadable = new(StringComparer.Ordinal);

    /// <summary>Stores the installation now, or keeps it to be stored later; says which.</summary>
    public async Task<InstallationOutcome> StoreAsync(Installation installation, CancellationToken cancellationToken)
    {
        var oauth = options.Value.OAuth;
        var delay = oauth.StoreRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            string failure;
            await _writes.WaitAsync(CancellationToken.None);
            try
            {
                await store.SaveAsync(installation, CancellationToken.None);
                locations.Remember(installation.LocationId);
                _memory.TryRemove(installation.LocationId, out _);
                DiscardKept(installation.LocationId);
                return InstallationOutcome.Stored;
            }
            catch (Exception ex) when (attempt < oauth.StoreAttempts && !cancellationToken.IsCancellationRequested)
            {
                failure = ex.GetType().Name;
            }
            catch (Exception ex)
            {
                return Keep(installation, attempt, ex.GetType().Name);
            }
            finally
            {
                _writes.Release();
            }

            LogStoreRetry(logger, installation.LocationId, attempt, failure);
            await Task.Delay(delay, time, CancellationToken.None);
            delay *= 2;
        }
    }

    /// <summary>Writes every kept installation once; returns how many still wait.</summary>
    public async Task<int> RetryPendingAsync(CancellationToken cancellationToken)
    {
        var waiting = 0;
        foreach (var (locationId, installation) in _memory)
        {
            if (await RetryHeldAsync(locationId, installation, cancellationToken))
            {
                waiting++;
            }
        }

        foreach (var path in spool.List())
        {
            if (await RetryFileAsync(path, cancellationToken))
            {
                waiting++;
            }
        }

        return waiting;
    }

    private InstallationOutcome Keep(Installation installation, int attempts, string failure)
    {
        try
        {
            var path = spool.Keep(installation);
            _memory.TryRemove(installation.LocationId, out _);
            LogKept(logger, installation.LocationId, attempts, failure, path);
            return InstallationOutcome.Kept;
        }
        catch (Exception ex)
        {
            _memory[installation.LocationId] = installation;
            LogHeldInMemory(logger, installation.LocationId, attempts, failure, spool.DirectoryPath, ex.GetType().Name);
            return InstallationOutcome.HeldInMemory;
        }
    }

    private void DiscardKept(string locationId)
    {
        // Stored directly: an older kept install of the location must not be written over it later.
        try
        {
            spool.Discard(locationId);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogNotDeleted(logger, spool.PathOf(locationId), locationId, ex.GetType().Name);
        }
    }

    /// <returns>True while it still waits.</returns>
    private async Task<bool> RetryHeldAsync(string locationId, Installation installation, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            if (!_memory.TryGetValue(locationId, out var current) || !ReferenceEquals(current, installation))
            {
                return _memory.ContainsKey(locationId);
            }

            await store.SaveAsync(installation, cancellationToken);
            _memory.TryRemove(new KeyValuePair<string, Installation>(locationId, installation));
            _reportedWaiting.TryRemove("memory:" + locationId, out _);
            locations.Remember(locationId);
            LogStoredFromMemory(logger, locationId);
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (_reportedWaiting.TryAdd("memory:" + locationId, 0))
            {
                LogStillWaiting(logger, locationId, "memory", ex.GetType().Name);
            }

            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <returns>True while it still waits (or cannot be read).</returns>
    private async Task<bool> RetryFileAsync(string path, CancellationToken cancellationToken)
    {
        await _writes.WaitAsync(cancellationToken);
        try
        {
            byte[] content;
            Installation installation;
            try
            {
                (content, installation) = spool.Read(path);
            }
            catch (FileNotFoundException)
            {
                return false;
            }
            catch (Exception ex) when (ex is CryptographicException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                ReportUnreadable(path, ex);
                return true;
            }

            _reportedUnreadable.TryRemove(path, out _);
            var locationId = installation.LocationId;
            try
            {
                if (await StoredAtAsync(locationId, cancellationToken) is { } storedAt && storedAt > installation.UpdatedAt)
                {
                    // Installed again (and stored) since this one was kept: the newer tokens win.
                    Delete(path, content, locationId);
                    _reportedWaiting.TryRemove(path, out _);
                    LogSuperseded(logger, locationId, path);
                    return false;
                }

                await store.SaveAsync(installation, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (_reportedWaiting.TryAdd(path, 0))
                {
                    LogStillWaiting(logger, locationId, path, ex.GetType().Name);
                }

                return true;
            }

            _reportedWaiting.TryRemove(path, out _);
            locations.Remember(locationId);
            Delete(path, content, locationId);
            LogStoredLater(logger, locationId, path);
            return false;
        }
        finally
        {
            _writes.Release();
        }
    }

    private async Task<DateTimeOffset?> StoredAtAsync(string locationId, CancellationToken cancellationToken)
    {
        try
        {
            return (await store.GetAsync(locationId, cancellationToken))?.UpdatedAt;
        }
        catch (CryptographicException)
        {
            // The stored row's tokens are under a key no longer configured: the kept install replaces them.
            return null;
        }
    }

    private void Delete(string path, byte[] content, string locationId)
    {
        try
        {
            spool.DeleteIfUnchanged(path, content);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogNotDeleted(logger, path, locationId, ex.GetType().Name);
        }
    }

    private void ReportUnreadable(string path, Exception exception)
    {
        DateTime version;
        try
        {
            version = File.GetLastWriteTimeUtc(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            version = DateTime.MinValue;
        }

        if (_reportedUnreadable.TryGetValue(path, out var reported) && reported == version)
        {
            return;
        }

        _reportedUnreadable[path] = version;

        // The messages of these exceptions name the file's key id and location, never what it holds.
        LogUnreadable(logger, path, exception.Message);
    }

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning,
        Message = "Storing the OAuth installation of location {LocationId} failed ({ExceptionType}, attempt {Attempt}); retrying")]
    private static partial void LogStoreRetry(ILogger logger, string locationId, int attempt, string exceptionType);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error,
        Message = "Storing the OAuth installation of location {LocationId} failed {Attempts} times ({ExceptionType}); its tokens are kept encrypted in {File} and written again every few seconds, also after a restart. Check the database")]
    private static partial void LogKept(ILogger logger, string locationId, int attempts, string exceptionType, string file);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Stored the kept OAuth installation of location {LocationId} from {File} and deleted the file")]
    private static partial void LogStoredLater(ILogger logger, string locationId, string file);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning,
        Message = "The kept OAuth installation of location {LocationId} ({File}) cannot be stored yet ({ExceptionType}); it is written again every few seconds")]
    private static partial void LogStillWaiting(ILogger logger, string locationId, string file, string exceptionType);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Error,
        Message = "Storing the OAuth installation of location {LocationId} failed {Attempts} times ({ExceptionType}) and it could not be kept in {Directory} either ({SpoolExceptionType}); its tokens are held in this process's memory only. Check the database and the directory; if this process stops first, the location must install again")]
    private static partial void LogHeldInMemory(ILogger logger, string locationId, int attempts, string exceptionType, string directory, string spoolExceptionType);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Information, Message = "Stored the OAuth installation of location {LocationId} held in memory")]
    private static partial void LogStoredFromMemory(ILogger logger, string locationId);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Error,
        Message = "The kept OAuth installation {File} cannot be read and is left in place: {Reason} Add its key back to Sync:Storage:EncryptionKeys, or delete the file and have the location install again")]
    private static partial void LogUnreadable(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information,
        Message = "Deleted the kept OAuth installation of location {LocationId} ({File}): a newer installation is stored")]
    private static partial void LogSuperseded(ILogger logger, string locationId, string file);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning,
        Message = "Could not delete {File} of location {LocationId} ({ExceptionType}); delete it by hand, or it is written again")]
    private static partial void LogNotDeleted(ILogger logger, string file, string locationId, string exceptionType);
}

/// <summary>
/// Writes the installations <see cref="InstallationRecorder"/> keeps: once at start (files an earlier process left) and
/// then every <see cref="OAuthInstallOptions.PendingRetryInterval"/>.
/// </summary>
internal sealed partial class InstallationRetryService(
    InstallationRecorder recorder, PendingInstallations spool, IOptions<IngressOptions> options, ILogger<InstallationRetryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var interval = options.Value.OAuth.PendingRetryInterval;
        var directoryFailed = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    spool.EnsureDirectory();
                    await recorder.RetryPendingAsync(stoppingToken);
                    directoryFailed = false;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    if (!directoryFailed)
                    {
                        LogDirectoryFailed(logger, spool.DirectoryPath, ex.GetType().Name);
                        directoryFailed = true;
                    }
                }

                await Task.Delay(interval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1112, Level = LogLevel.Error,
        Message = "The pending installations directory {Directory} cannot be created or read ({ExceptionType}); set Sync:Ingress:OAuth:PendingDirectory to a writable directory")]
    private static partial void LogDirectoryFailed(ILogger logger, string directory, string exceptionType);
}
