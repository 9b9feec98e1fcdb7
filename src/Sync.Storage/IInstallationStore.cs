namespace Sync.Storage;

/// <summary>
/// The locations Sync is installed in, with their API credentials. Tokens are encrypted at rest (AES-256-GCM, key id
/// stored with each ciphertext) and decrypted only on the way out of this store.
/// </summary>
public interface IInstallationStore
{
    /// <summary>The installation of a location, or null.</summary>
    Task<Installation?> GetAsync(string locationId, CancellationToken cancellationToken);

    /// <summary>Every installation, tokens included (callers must never print them).</summary>
    Task<IReadOnlyList<Installation>> ListAsync(CancellationToken cancellationToken);

    /// <summary>The ids of active locations.</summary>
    Task<IReadOnlyCollection<string>> ListActiveLocationIdsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The ids of every installed location, active or suspended (the ingress's location check caches this: a location
    /// that awaits re-authorisation still has its events accepted, and the worker parks them).
    /// </summary>
    Task<IReadOnlyCollection<string>> ListInstalledLocationIdsAsync(CancellationToken cancellationToken);

    /// <summary>The installation of a location with the row version it was read at, or null.</summary>
    Task<VersionedInstallation?> GetVersionedAsync(string locationId, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the installation only if its row is still at <paramref name="expectedRowVersion"/> (optimistic
    /// concurrency): false, and nothing written, when another writer got there first or the row is gone (an uninstall
    /// deleted it; it is never brought back). The refresh lease is left as it is.
    /// </summary>
    Task<bool> TrySaveAsync(Installation installation, long expectedRowVersion, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the installation of <see cref="Installation.LocationId"/>.</summary>
    Task SaveAsync(Installation installation, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the installation unless the location has one already (which keeps its tokens): true when it was created.
    /// </summary>
    Task<bool> AddIfAbsentAsync(Installation installation, CancellationToken cancellationToken);

    /// <summary>
    /// Takes the refresh lease of a location for <paramref name="owner"/> until now + <paramref name="lease"/>, if no other owner
    /// holds a live one: exactly one process refreshes a token at a time (refresh tokens are single-use).
    /// </summary>
    Task<bool> TryAcquireRefreshLeaseAsync(string locationId, string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Gives the lease back, if <paramref name="owner"/> still holds it.</summary>
    Task ReleaseRefreshLeaseAsync(string locationId, string owner, CancellationToken cancellationToken);

    /// <summary>Removes the location's installation and tokens inside the caller's unit of work (uninstall).</summary>
    Task DeleteAsync(IUnitOfWork unitOfWork, string locationId, CancellationToken cancellationToken);
}

/// <summary>An installation as read, with the version of its row (every write increments it).</summary>
/// <param name="Installation">The installation.</param>
/// <param name="RowVersion">The row's version when it was read; give it to <see cref="IInstallationStore.TrySaveAsync"/>.</param>
public sealed record VersionedInstallation(Installation Installation, long RowVersion);

/// <summary>How an installation authenticates.</summary>
public enum AuthMode
{
    /// <summary>OAuth access token that expires and is refreshed with a single-use refresh token.</summary>
    OAuth,

    /// <summary>A private-integration token: static, rotated by an operator.</summary>
    PrivateIntegration,
}

/// <summary>Lifecycle state of an installation.</summary>
public enum InstallationStatus
{
    /// <summary>Events are accepted and applied.</summary>
    Active,

    /// <summary>Credentials stopped working (e.g. refresh refused); events wait for an operator.</summary>
    Suspended,
}

/// <summary>One location's installation. Tokens here are plain text: they are encrypted by the store, never logged.</summary>
public sealed record Installation(
    string LocationId,
    string? CompanyId,
    AuthMode AuthMode,
    InstallationStatus Status,
    string? AccessToken,
    string? RefreshToken,
    DateTimeOffset? AccessTokenExpiresAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Keeps tokens out of logs and debugger displays.</summary>
    public override string ToString() =>
        $"Installation {{ LocationId = {LocationId}, CompanyId = {CompanyId}, AuthMode = {AuthMode}, Status = {Status}, AccessTokenExpiresAt = {AccessTokenExpiresAt} }}";
}
