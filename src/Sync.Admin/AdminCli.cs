using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Sync.Admin.Commands;
using Sync.Admin.Commands.DeadLetters;
using Sync.Admin.Commands.Import;

namespace Sync.Admin;

/// <summary>
/// <c>sync-admin</c>, the operator CLI: manages installations (private-integration tokens, removal) and dead letters, migrates the
/// database and rotates the token encryption key. Returns the process exit code (<see cref="AdminExitCodes"/>).
/// </summary>
public static partial class AdminCli
{
    /// <summary>Runs a command line with the given streams; standard input counts as not a terminal.</summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <param name="stdin">Where tokens are read from.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where errors go.</param>
    /// <param name="overrides">Settings that win over every other source (e.g. a test's connection string); may be null.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public static Task<int> RunAsync(
        string[] args,
        TextReader stdin,
        TextWriter stdout,
        TextWriter stderr,
        IConfiguration? overrides,
        CancellationToken cancellationToken = default) =>
        RunAsync(args, new AdminConsole(stdin, stdout, stderr), overrides, cancellationToken);

    /// <summary>Runs a command line on a console.</summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <param name="console">The streams, and whether a person is at them.</param>
    /// <param name="overrides">Settings that win over every other source; may be null.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public static async Task<int> RunAsync(string[] args, AdminConsole console, IConfiguration? overrides = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);

        var session = new AdminSession(console, overrides);
        var root = BuildRootCommand(session);

        // No @response files: arguments mean what they say.
        var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parseResult.Errors.Count > 0 && parseResult.Action is not { ClearsParseErrors: true })
        {
            return WriteParseErrors(parseResult, console);
        }

        var invocation = new InvocationConfiguration
        {
            Output = console.Output,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = console.HandlesTermination ? TimeSpan.FromSeconds(2) : null,
        };
        try
        {
            return await parseResult.InvokeAsync(invocation, cancellationToken);
        }
        catch (Exception ex)
        {
            return ErrorReport.Write(ex, console, parseResult.GetValue(session.VerboseOption));
        }
        finally
        {
            await console.Output.FlushAsync(CancellationToken.None);
            await console.Error.FlushAsync(CancellationToken.None);
        }
    }

    private static RootCommand BuildRootCommand(AdminSession session)
    {
        var installations = new Command("installations", "Manage the locations Sync is installed in.")
        {
            new ListInstallationsCommand(session).Build(),
            new AddPrivateInstallationCommand(session).Build(),
            new RotateTokenCommand(session).Build(),
            new RemoveInstallationCommand(session).Build(),
        };

        var deadLetters = new Command("dlq", "Dead letters: see what failed and why, replay, edit, discard, export and purge them; status of queues and circuits.")
        {
            new ListDeadLettersCommand(session).Build(),
            new DeadLetterGroupsCommand(session).Build(),
            new ShowDeadLetterCommand(session).Build(),
            new ReplayDeadLettersCommand(session).Build(),
            new EditDeadLetterCommand(session).Build(),
            new DiscardDeadLettersCommand(session).Build(),
            new ExportDeadLettersCommand(session).Build(),
            new PurgeDeadLettersCommand(session).Build(),
            new DeadLetterStatusCommand(session).Build(),
        };

        var contacts = new Command("contacts", "A location's contacts in the CRM.")
        {
            new ExportContactsCommand(session).Build(),
        };

        return new RootCommand("sync-admin: operate a Sync deployment (installations, dead letters, database migrations, token keys).")
        {
            session.ConfigOption,
            session.VerboseOption,
            installations,
            deadLetters,
            contacts,
            new ImportCommand(session).Build(),
            new DiffCommand(session).Build(),
            new ReconcileCommand(session).Build(),
            new MigrateCommand(session).Build(),
            new KeysCommand(session).Build(),
        };
    }

    /// <summary>
    /// Parse errors on standard error, exit code 1. Stray values are not echoed: someone who typed a token on the
    /// command line (there is no option for it) must not find it in the output too.
    /// </summary>
    private static int WriteParseErrors(ParseResult parseResult, AdminConsole console)
    {
        // Only bare option names are shown (`--token`); anything else may be a value (`secret`, `--token=secret`).
        var stray = parseResult.UnmatchedTokens.Where(t => !OptionName().IsMatch(t)).ToList();
        foreach (var error in parseResult.Errors)
        {
            var message = error.Message;
            foreach (var value in stray)
            {
                message = message.Replace($"'{value}'", "(a value not shown)", StringComparison.Ordinal);
            }

            console.Error.WriteLine($"error: {message}");
        }

        console.Error.WriteLine($"See `{CommandPath(parseResult.CommandResult)} --help`.");
        return AdminExitCodes.UsageError;
    }

    [GeneratedRegex("^--?[A-Za-z][A-Za-z0-9-]*$")]
    private static partial Regex OptionName();

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? current = command; current is not null; current = current.Parent)
        {
            if (current is CommandResult { Command: var c })
            {
                names.Add(c is RootCommand ? "sync-admin" : c.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
