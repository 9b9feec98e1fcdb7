using Microsoft.Data.SqlClient;
using Npgsql;

namespace Sync.Storage.Internal;

/// <summary>Database error numbers the stores react to, by name.</summary>
internal static class DbErrors
{
    /// <summary>SQL Server: violation of a PRIMARY KEY or UNIQUE constraint.</summary>
    public const int SqlServerUniqueConstraintViolation = 2627;

    /// <summary>SQL Server: duplicate key row in a unique index.</summary>
    public const int SqlServerUniqueIndexViolation = 2601;

    /// <summary>SQL Server: chosen as deadlock victim.</summary>
    public const int SqlServerDeadlockVictim = 1205;

    /// <summary>True for a duplicate-key error of either provider.</summary>
    public static bool IsDuplicateKey(Exception exception) => exception switch
    {
        SqlException sql => sql.Errors.Cast<SqlError>().Any(e => e.Number is SqlServerUniqueConstraintViolation or SqlServerUniqueIndexViolation),
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
