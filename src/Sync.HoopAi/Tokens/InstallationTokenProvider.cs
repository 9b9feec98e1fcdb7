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
/// </summary>
public sealed partial class InstallationTokenProvider : IAccessTokenProvider, IDisposable
{
    private static readonly TimeSpan PrivateTokenCacheTime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LeaseWaitPoll = TimeSpan.FromMilliseconds(200);

    private readonly IInstallationStore _installations;
    private readonly HoopAiOAuthClient _oauth;
    private readonly HoopAiOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<InstallationTokenProvider> _logger;
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly ConcurrentDictionary<string, CachedToken> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

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
                var installation = await LoadAsync(locationId, cancellationToken);
                if (Usable(installation, rejectedToken) is { } token)
                {
                    return token;
                }

                if (installation.AuthMode == AuthMode.PrivateIntegration)
                {
                    throw new SyncFailureException(FailureKind.Authentication,
                        $"The private-integration token of location {locationId} was refused; rotate it with sync-admin.");
                }

                if (await _installations.TryAcquireRefreshLeaseAsync(locationId, _owner, _options.TokenRefreshLease, cancellationToken))
                {
                    try
                    {
                        // Another process may have refreshed between our read and our lease.
                        installation = await LoadAsync(locationId, cancellationToken);
                        return Usable(installation, rejectedToken) ?? await RefreshAsync(installation, cancellationToken);
                    }
                    finally
                    {
                        await _installations.ReleaseRefreshLeaseAsync(locationId, _owner, CancellationToken.None);
                    }
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

    private async Task<Installation> LoadAsync(string locationId, CancellationToken cancellationToken)
    {
        var installation = await _installations.GetAsync(locationId, cancellationToken);
        if (installation is null)
        {
            throw new SyncFailureException(FailureKind.Authentication, $"Location {locationId} has no installation.");
        }

        if (installation.Status != InstallationStatus.Active)
        {
            throw new SyncFailureException(FailureKind.Authentication,
                $"The installation of location {locationId} is {installation.Status}; an operator must re-authorise it.");
        }

        return installation;
    }

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

    private async Task<string> RefreshAsync(Installation installation, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(installation.RefreshToken))
        {
            throw new SyncFailureException(FailureKind.Authentication,
                $"The installation of location {installation.LocationId} has no refresh token; it must be installed again.");
        }

        OAuthToken token;
        try
        {
            token = await _oauth.RefreshAsync(installation.RefreshToken, cancellationToken);
        }
        catch (HoopAiOAuthException ex) when (ex.IsRejection)
        {
            // The refresh token is spent or the location is no longer active: nothing will fix this but a new install.
            await _installations.SaveAsync(installation with { Status = InstallationStatus.Suspended, UpdatedAt = _time.GetUtcNow() },
                CancellationToken.None);
            LogRefreshRefused(installation.LocationId, ex.Message);
            SyncTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("result", "refused"));
            throw new SyncFailureException(FailureKind.Authentication,
                $"Refreshing the token of location {installation.LocationId} was refused; the installation is suspended. {ex.Message}", null, ex);
        }
        catch (HoopAiOAuthException ex)
        {
            SyncTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("result", "failed"));
            throw new SyncFailureException(FailureKind.Transient,
                $"Refreshing the token of location {installation.LocationId} failed: {ex.Message}", null, ex);
        }

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
        await _installations.SaveAsync(refreshed, CancellationToken.None);
        LogRefreshed(installation.LocationId, refreshed.AccessTokenExpiresAt!.Value);
        SyncTelemetry.TokenRefreshes.Add(1, new KeyValuePair<string, object?>("result", "refreshed"));
        return Usable(refreshed, null) ?? refreshed.AccessToken;
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Refreshed the access token of location {LocationId}; it expires at {ExpiresAt:O}")]
    private partial void LogRefreshed(string locationId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Token refresh of location {LocationId} refused; installation suspended: {Reason}")]
    private partial void LogRefreshRefused(string locationId, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Waiting for another process to refresh the token of location {LocationId}")]
    private partial void LogWaitingForRefresh(string locationId);

    private sealed record CachedToken(string Token, DateTimeOffset UsableUntil);
}
