namespace Sync.Storage;

/// <summary>
/// Brings the configured database's schema up to date with the numbered scripts embedded in this assembly, recording
/// each applied script in a journal table (<c>sync.schema_versions</c>). Concurrent callers (several hosts starting at
/// once) are serialised by a database lock; a script runs at most once.
/// </summary>
public interface IDatabaseMigrator
{
    /// <summary>Applies every script not yet in the journal, in order, each in its own transaction.</summary>
    /// <exception cref="StorageMigrationException">A script failed; nothing after it ran.</exception>
    Task<MigrationResult> MigrateAsync(CancellationToken cancellationToken);

    /// <summary>The scripts <see cref="MigrateAsync"/> would apply, in order.</summary>
    Task<IReadOnlyList<string>> GetPendingScriptsAsync(CancellationToken cancellationToken);
}

/// <summary>What a migration run applied.</summary>
/// <param name="AppliedScripts">Names of the scripts applied by this run, in order; empty when the schema was current.</param>
public sealed record MigrationResult(IReadOnlyList<string> AppliedScripts);

/// <summary>A migration script failed.</summary>
public sealed class StorageMigrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StorageMigrationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public StorageMigrationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    public StorageMigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
