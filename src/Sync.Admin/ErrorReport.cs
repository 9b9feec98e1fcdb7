using System.Data.Common;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Data.SqlClient;
using Microsoft.Extensions.Options;
using Npgsql;
using Sync.Core;
using Sync.Storage;

namespace Sync.Admin;

/// <summary>
/// Turns a failure into an exit code and one line for standard error. The line comes from exception messages, which
/// name hosts, locations and key ids but never tokens or passwords; the stack trace is shown only with --verbose.
/// </summary>
internal static class ErrorReport
{
    // PostgreSQL: undefined_table, undefined_column, invalid_schema_name. SQL Server: invalid object / column name.
    private static readonly HashSet<string> PostgreSqlSchemaStates = ["42P01", "42703", "3F000"];
    private static readonly HashSet<int> SqlServerSchemaErrors = [208, 207];

    public static int Write(Exception exception, AdminConsole console, bool verbose)
    {
        var (exitCode, message) = Describe(exception);
        console.Error.WriteLine($"error: {OneLine(message)}");
        if (verbose && exception is not CommandFailedException)
        {
            console.Error.WriteLine(exception.ToString());
        }

        return exitCode;
    }

    private static (int ExitCode, string Message) Describe(Exception exception) => exception switch
    {
        CommandFailedException failed => (failed.ExitCode, failed.Message),
        Sync.Messaging.DeadLetters.DeadLetterRefusedException refused => (AdminExitCodes.UsageError, refused.Message),
        OptionsValidationException invalid =>
            (AdminExitCodes.UsageError, "the configuration is invalid: " + string.Join(" ", invalid.Failures)),
        _ when Sync.Hosting.ConfigurationErrors.Describe(exception) is { } described =>
            (AdminExitCodes.UsageError, "the configuration is invalid: " + described),
        StorageMigrationException migration =>
            (AdminExitCodes.RuntimeFailure, $"migration failed: {migration.Message}"),
        DbException db when IsSchemaMissing(db) =>
            (AdminExitCodes.RuntimeFailure, $"the database schema is missing or out of date ({DatabaseMessage(db)}): run `sync-admin migrate` first."),
        SyncFailureException api =>
            (AdminExitCodes.RuntimeFailure, $"the CRM call failed ({api.Kind}): {api.Message}"),
        _ when Has<SocketException>(exception) =>
            (AdminExitCodes.RuntimeFailure, $"cannot reach the database: {WithCauses(exception)}"),
        _ when Has<TimeoutException>(exception) =>
            (AdminExitCodes.RuntimeFailure, $"the database did not answer in time: {WithCauses(exception)}"),
        DbException db =>
            (AdminExitCodes.RuntimeFailure, $"the database refused the command: {WithCauses(db)}"),
        CryptographicException crypto =>
            (AdminExitCodes.RuntimeFailure, $"cannot read a stored token: {crypto.Message} Check Sync:Storage:EncryptionKeys."),
        OperationCanceledException => (AdminExitCodes.RuntimeFailure, "cancelled."),
        _ => (AdminExitCodes.RuntimeFailure, $"unexpected failure: {exception.GetType().Name}: {WithCauses(exception)} (run with --verbose for details)"),
    };

    private static string DatabaseMessage(DbException exception) => exception is PostgresException postgres ? postgres.MessageText : exception.Message;

    private static bool IsSchemaMissing(DbException exception) => exception switch
    {
        SqlException sql => SqlServerSchemaErrors.Contains(sql.Number),
        _ => exception.SqlState is { } state && PostgreSqlSchemaStates.Contains(state),
    };

    private static bool Has<T>(Exception exception)
        where T : Exception
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is T)
            {
                return true;
            }
        }

        return false;
    }

    private static string WithCauses(Exception exception)
    {
        var message = exception.Message.TrimEnd('.');
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!message.Contains(inner.Message.TrimEnd('.'), StringComparison.Ordinal))
            {
                message += $" ({inner.Message.TrimEnd('.')})";
            }
        }

        return message + ".";
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
