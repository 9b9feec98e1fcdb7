using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Commands;

/// <summary>
/// <c>migrate</c>: applies the schema scripts the database has not seen. The only command that changes the schema;
/// the others report a missing or old schema and point here.
/// </summary>
internal sealed class MigrateCommand(AdminSession session)
{
    public Command Build()
    {
        var command = new Command("migrate", "Apply pending database migrations and list what was applied.");
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, RunAsync, ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var result = await services.GetRequiredService<IDatabaseMigrator>().MigrateAsync(cancellationToken);
        var output = session.Console.Output;
        if (result.AppliedScripts.Count == 0)
        {
            await output.WriteLineAsync("The database schema is up to date: nothing to apply.");
            return AdminExitCodes.Success;
        }

        await output.WriteLineAsync($"Applied {result.AppliedScripts.Count} migration(s):");
        foreach (var script in result.AppliedScripts)
        {
            await output.WriteLineAsync($"  {ScriptName(script)}");
        }

        return AdminExitCodes.Success;
    }

    /// <summary><c>Sync.Storage.Migrations.PostgreSql.0001_initial.sql</c> → <c>PostgreSql/0001_initial.sql</c>.</summary>
    private static string ScriptName(string resourceName)
    {
        const string prefix = "Sync.Storage.Migrations.";
        if (!resourceName.StartsWith(prefix, StringComparison.Ordinal))
        {
            return resourceName;
        }

        var rest = resourceName[prefix.Length..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : $"{rest[..dot]}/{rest[(dot + 1)..]}";
    }
}
