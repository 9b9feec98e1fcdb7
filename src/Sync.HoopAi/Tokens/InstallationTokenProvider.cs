using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;
using Sync.HoopAi.OAuth;
using Sync.Storage;

namespace Sync.HoopAi.Tokens;

/// <summary>
/// Serves each location's bearer from its installation: a private-integration token as stored, an OAuth access token
/// refreshed before it expires. A refresh is single-flight across every process (refresh tokens are single-use: two
/// concurrent refreshes would lock the installation out): within a process one caller per location refreshes, and
/// across processes only the holder of the installation's refresh lease does; the others wait for the new token to
/// appear in the store.
/// <para>
/// Only a definite refusal of the grant (<c>invalid_grant</c>, "Location is not active") suspends an installation;
/// 408, 429, 5xx and timeouts of the token endpoint are transient. <c>invalid_client</c> (the app's own secret was
/// refused, e.g. after a rotation) suspends nothing: it opens an app-wide condition, logged once, during which every
/// refresh fails as <see cref="FailureKind.CircuitOpen"/> without calling the endpoint, tried again after a growing
/// wait. Saves are optimistic on the row version: a save that finds the row changed or deleted writes nothing and the
/// stored installation is read again. A refresh once sent is finished and stored with a timeout of its own, never
/// with the consumer's cancellation.
/// </para>
/// </summary>
public sealed partial class InstallationTokenProvider : IAccessTokenProvider, IDisposable
{
    private static readonly TimeSpan PrivateTokenCacheTime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LeaseWaitPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxClientRefusedWait = TimeSpan.FromMinutes(15);

    private readonly IInstallationStore _installations;
    private readonly HoopAiOAuthClient _oauth;
    private readonly HoopAiOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<InstallationTokenProvider> _logger;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<string, CachedToken> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly Lock _clientGate = new();
    private ClientRefusal? _clientRefused;

    /// <summary>Creates the provider.</summary>
    public InstallationTokenProvider(
        IInstallationStore installations,
        HoopAiOAuthClient oauth,
        IOptions<HoopAiOptions> options,
        TimeProvider time,
        ILogger<InstallationTokenProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _installations = installations;
        _oauth = oauth;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public async ValueTask<string> GetAccessTokenAsync(string locationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        if (_cache.TryGetValue(locationId, out var cached) && cached.UsableUntil > _time.GetUtcNow())
        {
            return cached.Token;
        }

        return await RefreshIfNeededAsync(locationId, rejectedToken: null, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<string> RenewRejectedAsync(string locationId, string rejectedToken, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        _cache.TryRemove(locationId, out _);
        return await RefreshIfNeededAsync(locationId, rejectedToken, cancellationToken);
    }

    /// <inheritdoc />
    public void Forget(string locationId)
    {
        _cache.TryRemove(locationId, out _);
        SyncTelemetry.ForgetToken(locationId);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var gate in _gates.Values)
        {
            gate.Dispose();
        }
    }

    private async Task<string> RefreshIfNeededAsync(string locationId, string? rejectedToken, CancellationToken cancellationToken)
    {
        var gate = _gates.GetOrAdd(locationId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var deadline = _time.GetUtcNow() + _options.TokenRefreshLease + TimeSpan.FromSeconds(5);
            while (true)
            {
                var (installation, _) = await LoadAsync(locationId, cancellationToken);
                if (Usable(installation, rejectedToken) is { } token)
                {
                    return token;
                }

                if (installation.AuthMode == AuthMode.PrivateIntegration)
                {
                    throw new SyncFailureException(FailureKind.Authentication,
                        $"The private-integration token of location {locationId} was refused; rotate it with sync-admin.");
                }

                ThrowIfClientRefused(locationId);
                if (await _installations.TryAcquireRefreshLeaseAsync(locationId, _owner, _options.TokenRefreshLease, cancellationToken))
                {
                    string? refreshed;
                    try
                    {
                        // Another process may have refreshed between our read and our lease.
                        var current = await LoadAsync(locationId, cancellationToken);
                        refreshed = Usable(current.Installation, rejectedToken) ?? await RefreshAsync(current, cancellationToken);
                    }
                    finally
                    {
                        await _installations.ReleaseRefreshLeaseAsync(locationId, _owner, CancellationToken.None);
                    }

                    if (refreshed is not null)
                    {
                        return refreshed;
                    }

                    // The row changed under us (another writer, or an uninstall): look again at what is stored.
                    continue;
                }

                if (_time.GetUtcNow() > deadline)
                {
                    throw new SyncFailureException(FailureKind.Transient,
                        $"Another process holds the token refresh of location {locationId} and has not finished.");
                }

                LogWaitingForRefresh(locationId);
                await Task.Delay(LeaseWaitPoll, _time, cancellationToken);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<VersionedInstallation> LoadAsync(string locationId, CancellationToken cancellationToken)
    {
        var stored = await _installations.GetVersionedAsync(locationId, cancellationToken);
        if (stored is null)
        {
            throw new SyncFailureException(FailureKind.Authentication, $"Location {locationId} has no installation.");
        }

        if (stored.Installation.Status != InstallationStatus.Active)
        {
            // Parked, not failed: the work comes back once the location is authorised again (or dead-letters at the bound).
            throw new SyncFailureException(FailureKind.Suspended,
                $"The installation of location {locationId} is {stored.Installation.Status}; it awaits re-authorisation.");
        }

        return stored;
    }

    // While the app's client credentials are refused, no refresh is sent: each would be refused the same way.
    private void ThrowIfClientRefused(string locationId)
    {
        var refusal = _clientRefused;
        if (refusal is null)
        {
            return;
        }

        var left = refusal.RetryAt - _time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            throw new SyncFailureException(FailureKind.CircuitOpen,
                $"The app's client credentials were refused by the token endpoint; location {locationId} waits {left} before a refresh is tried again.",
                left);
        }
    }

    private void OnClientRefused(string reason)
    {
        bool changed;
        TimeSpan wait;
        lock (_clientGate)
        {
            changed = _clientRefused is null;
            wait = changed ? _options.ClientCredentialsRetry : Min(_clientRefused!.Wait * 2, MaxClientRefusedWait);
            _clientRefused = new ClientRefusal(_time.GetUtcNow() + wait, wait);
        }

        if (changed)
        {
            LogClientRefused(wait, reason);
        }
    }

    private void OnClientAccepted()
    {
        bool changed;
        lock (_clientGate)
        {
            changed = _clientRefused is not null;
            _clientRefused = null;
        }

        if (changed)
        {
            LogClientAccepted();
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    // The stored token, when it is not the one the API refused and is not about to expire; caches it.
    private string? Usable(Installation installation, string? rejectedToken)
    {
        if (string.IsNullOrEmpty(installation.AccessToken) || installation.AccessToken == rejectedToken)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        DateTimeOffset usableUntil;
        if (installation.AuthMode == AuthMode.PrivateIntegration)
        {
            usableUntil = now + PrivateTokenCacheTime;
        }
        else
        {
            if (installation.AccessTokenExpiresAt is not { } expires || expires - _options.TokenRefreshMargin <= now)
            {
                return null;
            }

            usableUntil = expires - _options.TokenRefreshMargin;
            SyncTelemetry.TokenExpiresAt(installation.LocationId, expires);
        }

        _cache[installation.LocationId] = new CachedToken(installation.AccessToken, usableUntil);
        return installation.AccessToken;
    }

    // The new token, or null when the row changed meanwhile and nothing was written (the caller reads it again).
    private async Task<string?> RefreshAsync(VersionedInstallation stored, CancellationToken cancellationToken)
    {
        var installation = stored.Installation;
        if (string.IsNullOrEmpty(installation.RefreshToken))
        {
            throw new SyncFailureException(FailureKind.Authentication,
                $"The installation of location {installation.LocationId} has no refresh token; it must be installed again.");
        }

        // Once sent, the refresh spends the old refresh token whatever becomes of the consumer: it is finished and its
        // answer stored under a timeout of its own, never cancelled with the message that asked for it.
        cancellationToken.ThrowIfCancellationRequested();
        OAuthToken token;
        using (var bound = new CancellationTokenSource(_options.Timeout))
        {
            try
            {
                token = await _oauth.RefreshAsync(installation.RefreshToken, bound.Token);
            }
            catch (HoopAiOAuthException ex) when (ex.IsClientRefused)
            {
                OnClientRefused(ex.Message);
                SyncTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("result", "client-refused"));
                throw new SyncFailureException(FailureKind.CircuitOpen,
                    $"Refreshing the token of location {installation.LocationId} failed: the app's client credentials were refused. {ex.Message}",
                    _clientRefused?.Wait ?? _options.ClientCredentialsRetry, ex);
            }
            catch (HoopAiOAuthException ex) when (ex.IsGrantRefused)
            {
                OnClientAccepted();

                // The refresh token is spent or the location is no longer active: nothing will fix this but a new install.
                var suspended = installation with { Status = InstallationStatus.Suspended, UpdatedAt = _time.GetUtcNow() };
                if (!await _installations.TrySaveAsync(suspended, stored.RowVersion, CancellationToken.None))
                {
                    return null; // re-installed or uninstalled meanwhile: what is stored now decides
                }

                LogRefreshRefused(installation.LocationId, ex.Message);
                SyncTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("result", "refused"));
                throw new SyncFailureException(FailureKind.Suspended,
                    $"Refreshing the token of location {installation.LocationId} was refused; the installation is suspended. {ex.Message}", null, ex);
            }
            catch (HoopAiOAuthException ex)
            {
                LogRefreshFailed(installation.LocationId, ex.Message);
                SyncTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("result", "failed"));
                throw new SyncFailureException(FailureKind.Transient,
                    $"Refreshing the token of location {installation.LocationId} failed: {ex.Message}", null, ex);
            }
            catch (OperationCanceledException ex) when (bound.IsCancellationRequested)
            {
                LogRefreshFailed(installation.LocationId, "timed out");
                throw new SyncFailureException(FailureKind.Transient,
                    $"Refreshing the token of location {installation.LocationId} timed out after {_options.Timeout}.", null, ex);
            }
        }

        OnClientAccepted();
        var now = _time.GetUtcNow();
        var refreshed = installation with
        {
            AccessToken = token.AccessToken,
            RefreshToken = string.IsNullOrEmpty(token.RefreshToken) ? installation.RefreshToken : token.RefreshToken,
            AccessTokenExpiresAt = now + TimeSpan.FromSeconds(token.ExpiresIn > 0 ? token.ExpiresIn : 86_399),
            CompanyId = token.CompanyId ?? installation.CompanyId,
            UpdatedAt = now,
        };

        // Stored before use: the old refresh token is spent now, and losing the new one would lock the installation out.
        // Only over the row as it was read: a newer row (a re-install, a rotation) is not overwritten, a deleted one
        // (an uninstall) not brought back.
        if (!await _installations.TrySaveAsync(refreshed, stored.RowVersion, CancellationToken.None))
        {
            LogRefreshNotStored(installation.LocationId);
            return null;
        }

        LogRefreshed(installation.LocationId, refreshed.AccessTokenExpiresAt!.Value);
        SyncTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("result", "refreshed"));
        return Usable(refreshed, null) ?? refreshed.AccessToken;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Refreshed the access token of location {LocationId}; it expires at {ExpiresAt:O}")]
    private partial void LogRefreshed(string locationId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Token refresh of location {LocationId} refused; installation suspended, its work waits until it is authorised again: {Reason}")]
    private partial void LogRefreshRefused(string locationId, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Waiting for another process to refresh the token of location {LocationId}")]
    private partial void LogWaitingForRefresh(string locationId);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Error,
        Message = "The app's client credentials were refused; work waits (check Sync:HoopAi:ClientId/ClientSecret), next try in {Wait}: {Reason}")]
    private partial void LogClientRefused(TimeSpan wait, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Information, Message = "The app's client credentials are accepted again; token refreshes resume")]
    private partial void LogClientAccepted();

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "Token refresh of location {LocationId} failed and will be tried again: {Reason}")]
    private partial void LogRefreshFailed(string locationId, string reason);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Information,
        Message = "Location {LocationId}: the installation changed while its token was refreshed; the stored one is used")]
    private partial void LogRefreshNotStored(string locationId);

    private sealed record CachedToken(string Token, DateTimeOffset UsableUntil);

    private sealed record ClientRefusal(DateTimeOffset RetryAt, TimeSpan Wait);
}
