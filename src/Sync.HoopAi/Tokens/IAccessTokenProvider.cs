namespace Sync.HoopAi.Tokens;

/// <summary>Bearer tokens for a location's API calls.</summary>
public interface IAccessTokenProvider
{
    /// <summary>A token valid for at least the refresh margin, refreshing it first when it is about to expire.</summary>
    /// <exception cref="Core.SyncFailureException">
    /// No installation or a refused private-integration token (authentication); the installation awaits
    /// re-authorisation (suspended); the app's client credentials were refused (circuit open); or the token endpoint
    /// failed (transient).
    /// </exception>
    ValueTask<string> GetAccessTokenAsync(string locationId, CancellationToken cancellationToken);

    /// <summary>The API refused <paramref name="rejectedToken"/> (401): a newer token if another process already got one, else a refreshed one.</summary>
    /// <exception cref="Core.SyncFailureException">The token cannot be renewed (authentication).</exception>
    ValueTask<string> RenewRejectedAsync(string locationId, string rejectedToken, CancellationToken cancellationToken);

    /// <summary>Drops whatever this process holds of a location's token (after an uninstall or a rotation).</summary>
    void Forget(string locationId);
}
