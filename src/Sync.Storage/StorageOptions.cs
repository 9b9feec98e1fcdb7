using System.ComponentModel.DataAnnotations;

namespace Sync.Storage;

/// <summary>The database Sync keeps its state in. Bound from the <c>Sync:Storage</c> section.</summary>
public sealed class StorageOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sync:Storage";

    /// <summary>Which database server: <see cref="DatabaseProvider.SqlServer"/> (production default) or <see cref="DatabaseProvider.PostgreSql"/>.</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.SqlServer;

    /// <summary>ADO.NET connection string of the provider's driver.</summary>
    [Required(ErrorMessage = "Sync:Storage:ConnectionString is required.")]
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply pending migrations when a host starts (default true); otherwise run <c>sync-admin migrate</c>.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// Create the database named by <see cref="ConnectionString"/> when it does not exist, before migrating (default
    /// false). Convenient for a fresh local server (docker-compose's SQL Server has only <c>master</c>); production
    /// databases are usually created by their operators.
    /// </summary>
    public bool CreateDatabaseIfMissing { get; set; }

    /// <summary>Per-command timeout in seconds (default 30).</summary>
    [Range(1, 3600, ErrorMessage = "Sync:Storage:CommandTimeoutSeconds must be between {1} and {2}.")]
    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// AES-256-GCM keys that encrypt tokens at rest: key id → base64 of 32 random bytes. Every ciphertext stores the id of
    /// the key that made it, so old keys stay readable while <see cref="ActiveKeyId"/> names the one new ciphertexts use.
    /// </summary>
    public Dictionary<string, string> EncryptionKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The key id new ciphertexts are made with; must name an entry of <see cref="EncryptionKeys"/>.</summary>
    public string ActiveKeyId { get; set; } = "";
}

/// <summary>The database servers Sync supports.</summary>
public enum DatabaseProvider
{
    /// <summary>Microsoft SQL Server through Microsoft.Data.SqlClient.</summary>
    SqlServer,

    /// <summary>PostgreSQL through Npgsql.</summary>
    PostgreSql,
}
