using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using Sync.Storage.Internal.PostgreSql;
using Sync.Storage.Internal.SqlServer;

namespace Sync.Storage.Internal;

/// <summary>
/// Installations over either provider. Tokens are encrypted by <see cref="TokenCipher"/> on the way in and decrypted
/// on the way out; the database only ever sees ciphertext.
/// </summary>
internal abstract partial class InstallationStore(
    StorageDatabase database,
    TokenCipher cipher,
    TimeProvider time,
    ILogger logger,
    InstallationStore.Statements sql) : IInstallationStore, ITokenKeyRotator
{
    internal const string AccessTokenColumn = "access_token";
    internal const string RefreshTokenColumn = "refresh_token";
    private const int MaxRotationAttempts = 5;

    public async Task<Installation?> GetAsync(string locationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<InstallationRow>(database.Command(
            sql.Get, new { LocationId = locationId }, transaction: null, cancellationToken));
        return row is null ? null : ToInstallation(row);
    }

    public async Task<VersionedInstallation?> GetVersionedAsync(string locationId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<InstallationRow>(database.Command(
            sql.Get, new { LocationId = locationId }, transaction: null, cancellationToken));
        return row is null ? null : new VersionedInstallation(ToInstallation(row), row.RowVersion);
    }

    public async Task<bool> TrySaveAsync(Installation installation, long expectedRowVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(installation);
        ArgumentException.ThrowIfNullOrWhiteSpace(installation.LocationId);
        var parameters = new DynamicParameters(Parameters(installation));
        parameters.Add("RowVersion", expectedRowVersion);
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(database.Command(sql.UpdateIfVersion, parameters, transaction: null, cancellationToken)) == 1;
    }

    public async Task<IReadOnlyList<Installation>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<InstallationRow>(database.Command(sql.List, null, transaction: null, cancellationToken));
        return rows.Select(ToInstallation).ToList();
    }

    public async Task<IReadOnlyCollection<string>> ListActiveLocationIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(database.Command(
            sql.ListIdsByStatus, new { Status = DbValues.ToDb(InstallationStatus.Active) }, transaction: null, cancellationToken));
        return ids.ToList();
    }

    public async Task<IReadOnlyCollection<string>> ListInstalledLocationIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(database.Command(sql.ListIds, null, transaction: null, cancellationToken));
        return ids.ToList();
    }

    public async Task<bool> AddIfAbsentAsync(Installation installation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(installation);
        ArgumentException.ThrowIfNullOrWhiteSpace(installation.LocationId);
        var parameters = Parameters(installation);
        try
        {
            return await database.InTransactionAsync(
                (connection, transaction) => connection.ExecuteAsync(database.Command(sql.InsertIfAbsent, parameters, transaction, cancellationToken)),
                cancellationToken) > 0;
        }
        catch (Exception ex) when (DbErrors.IsDuplicateKey(ex))
        {
            // A concurrent first save of the same location won.
            return false;
        }
    }

    public async Task SaveAsync(Installation installation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(installation);
        ArgumentException.ThrowIfNullOrWhiteSpace(installation.LocationId);
        var parameters = Parameters(installation);

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await database.InTransactionAsync(
                    (connection, transaction) => connection.ExecuteAsync(database.Command(sql.Upsert, parameters, transaction, cancellationToken)),
                    cancellationToken);
                return;
            }
            catch (Exception ex) when (attempt == 1 && DbErrors.IsDuplicateKey(ex))
            {
                // A concurrent first save of the same location won the insert: run again, which now updates.
            }
        }
    }

    private object Parameters(Installation installation) =>
        new
        {
            installation.LocationId,
            installation.CompanyId,
            AuthMode = DbValues.ToDb(installation.AuthMode),
            Status = DbValues.ToDb(installation.Status),
            AccessToken = cipher.Encrypt(installation.AccessToken, installation.LocationId, AccessTokenColumn),
            RefreshToken = cipher.Encrypt(installation.RefreshToken, installation.LocationId, RefreshTokenColumn),
            AccessTokenExpiresAt = DbValues.Utc(installation.AccessTokenExpiresAt),
            UpdatedAt = DbValues.Utc(installation.UpdatedAt),
        };

    public async Task<bool> TryAcquireRefreshLeaseAsync(string locationId, string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(database.Command(
            sql.AcquireLease, new { LocationId = locationId, Owner = owner, Now = now, LeaseUntil = now + lease }, transaction: null, cancellationToken));
        return updated == 1;
    }

    public async Task ReleaseRefreshLeaseAsync(string locationId, string owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(database.Command(
            sql.ReleaseLease, new { LocationId = locationId, Owner = owner }, transaction: null, cancellationToken));
    }

    public async Task DeleteAsync(IUnitOfWork unitOfWork, string locationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        await unitOfWork.Connection.ExecuteAsync(database.Command(sql.Delete, new { LocationId = locationId }, unitOfWork, cancellationToken));
    }

    public async Task<KeyRotationResult> ReencryptAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<TokenRow>(database.Command(sql.ListTokens, null, transaction: null, cancellationToken))).ToList();
        var reencrypted = 0;
        foreach (var row in rows)
        {
            if (await ReencryptAsync(connection, row, cancellationToken))
            {
                reencrypted++;
            }
        }

        LogKeyRotation(logger, rows.Count, reencrypted, cipher.ActiveKeyId);
        return new KeyRotationResult(rows.Count, reencrypted, cipher.ActiveKeyId);
    }

    private async Task<bool> ReencryptAsync(DbConnection connection, TokenRow row, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxRotationAttempts; attempt++)
        {
            if (IsUnderActiveKey(row.AccessToken, row.LocationId, AccessTokenColumn) &&
                IsUnderActiveKey(row.RefreshToken, row.LocationId, RefreshTokenColumn))
            {
                return false;
            }

            var parameters = new
            {
                row.LocationId,
                row.RowVersion,
                AccessToken = cipher.Encrypt(cipher.Decrypt(row.AccessToken, row.LocationId, AccessTokenColumn), row.LocationId, AccessTokenColumn),
                RefreshToken = cipher.Encrypt(cipher.Decrypt(row.RefreshToken, row.LocationId, RefreshTokenColumn), row.LocationId, RefreshTokenColumn),
            };
            var updated = await connection.ExecuteAsync(database.Command(sql.ReplaceTokens, parameters, transaction: null, cancellationToken));
            if (updated == 1)
            {
                return true;
            }

            // Someone saved the row meanwhile (a refresh, an uninstall): look again at what is there now.
            var current = await connection.QuerySingleOrDefaultAsync<InstallationRow>(database.Command(
                sql.Get, new { row.LocationId }, transaction: null, cancellationToken));
            if (current is null)
            {
                return false;
            }

            row = new TokenRow { LocationId = current.LocationId, AccessToken = current.AccessToken, RefreshToken = current.RefreshToken, RowVersion = current.RowVersion };
        }

        throw new InvalidOperationException(
            $"Could not re-encrypt the tokens of location {row.LocationId}: the row kept changing. Run the rotation again.");
    }

    private bool IsUnderActiveKey(byte[]? ciphertext, string locationId, string column) =>
        ciphertext is null || cipher.KeyIdOf(ciphertext, locationId, column) == cipher.ActiveKeyId;

    private Installation ToInstallation(InstallationRow row) => new(
        row.LocationId,
        row.CompanyId,
        DbValues.AuthModeFromDb(row.AuthMode),
        DbValues.InstallationStatusFromDb(row.Status),
        cipher.Decrypt(row.AccessToken, row.LocationId, AccessTokenColumn),
        cipher.Decrypt(row.RefreshToken, row.LocationId, RefreshTokenColumn),
        row.AccessTokenExpiresAt,
        row.UpdatedAt);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information,
        Message = "Token key rotation examined {Installations} installations and re-encrypted {Reencrypted} under key {ActiveKeyId}")]
    private static partial void LogKeyRotation(ILogger logger, int installations, int reencrypted, string activeKeyId);

    internal sealed record Statements(
        string Get, string List, string ListIdsByStatus, string Upsert, string AcquireLease, string ReleaseLease, string Delete,
        string ListTokens, string ReplaceTokens, string InsertIfAbsent, string ListIds, string UpdateIfVersion);

    private sealed class InstallationRow
    {
        public string LocationId { get; set; } = "";

        public string? CompanyId { get; set; }

        public string AuthMode { get; set; } = "";

        public string Status { get; set; } = "";

        public byte[]? AccessToken { get; set; }

        public byte[]? RefreshToken { get; set; }

        public DateTimeOffset? AccessTokenExpiresAt { get; set; }

        public DateTimeOffset UpdatedAt { get; set; }

        public long RowVersion { get; set; }
    }

    private sealed class TokenRow
    {
        public string LocationId { get; set; } = "";

        public byte[]? AccessToken { get; set; }

        public byte[]? RefreshToken { get; set; }

        public long RowVersion { get; set; }
    }
}

internal sealed class SqlServerInstallationStore(StorageDatabase database, TokenCipher cipher, TimeProvider time, ILogger<SqlServerInstallationStore> logger)
    : InstallationStore(database, cipher, time, logger, new(
        SqlServerStatements.InstallationGet,
        SqlServerStatements.InstallationList,
        SqlServerStatements.InstallationListIdsByStatus,
        SqlServerStatements.InstallationUpsert,
        SqlServerStatements.InstallationAcquireLease,
        SqlServerStatements.InstallationReleaseLease,
        SqlServerStatements.InstallationDelete,
        SqlServerStatements.InstallationListTokens,
        SqlServerStatements.InstallationReplaceTokens,
        SqlServerStatements.InstallationInsertIfAbsent,
        SqlServerStatements.InstallationListIds,
        SqlServerStatements.InstallationUpdateIfVersion));

internal sealed class PostgreSqlInstallationStore(StorageDatabase database, TokenCipher cipher, TimeProvider time, ILogger<PostgreSqlInstallationStore> logger)
    : InstallationStore(database, cipher, time, logger, new(
        PostgreSqlStatements.InstallationGet,
        PostgreSqlStatements.InstallationList,
        PostgreSqlStatements.InstallationListIdsByStatus,
        PostgreSqlStatements.InstallationUpsert,
        PostgreSqlStatements.InstallationAcquireLease,
        PostgreSqlStatements.InstallationReleaseLease,
        PostgreSqlStatements.InstallationDelete,
        PostgreSqlStatements.InstallationListTokens,
        PostgreSqlStatements.InstallationReplaceTokens,
        PostgreSqlStatements.InstallationInsertIfAbsent,
        PostgreSqlStatements.InstallationListIds,
        PostgreSqlStatements.InstallationUpdateIfVersion));
