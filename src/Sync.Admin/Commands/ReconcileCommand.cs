using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Reconcile;
using Sync.Storage;

namespace Sync.Admin.Commands;

/// <summary>
/// <c>reconcile --location L</c>: rebuilds the location's contact index from the CRM (<see cref="ContactReconciler"/>) and
/// prints what it changed: a summary and the changes at a terminal, JSON with <c>--json</c> or when piped.
/// </summary>
internal sealed class ReconcileCommand(AdminSession session)
{
    private const int ShownPerList = 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Option<string> _location = AdminOptions.Location("The location whose contact index is rebuilt.");
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Say what would change; change nothing." };
    private readonly Option<bool> _json = new("--json") { Description = "Write JSON (also when the output is not a terminal)." };

    private readonly Option<double?> _share = new("--budget-share")
    {
        Description = "The share of the location's API budget to use, above 0 and at most 1 (default Sync:Reconcile:BudgetShare, 0.2).",
        HelpName = "share",
    };

    public Command Build()
    {
        _share.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is { } share && !(share > 0 && share <= 1))
            {
                result.AddError("--budget-share must be above 0 and at most 1.");
            }
        });
        var command = new Command("reconcile",
            "Rebuild a location's contact index from the CRM: add what lost events never told, drop what no longer exists; prints what changed.")
        {
            _location, _dryRun, _share, _json,
        };
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var location = parseResult.GetValue(_location)!;
        var reconciler = services.GetRequiredService<ContactReconciler>();
        var owner = $"sync-admin:{Environment.MachineName}:{Environment.ProcessId}";
        var request = new ReconcileRequest(location, owner, DateTimeOffset.MaxValue, parseResult.GetValue(_share), parseResult.GetValue(_dryRun));
        var bar = new ProgressBar(session.Console, "contacts read");
        ReconcileResult? result;
        try
        {
            result = await reconciler.TryRunAsync(request, cancellationToken, bar);
        }
        finally
        {
            bar.Done();
        }

        if (result is null)
        {
            var run = await services.GetRequiredService<IReconcileRunStore>().GetAsync(location, cancellationToken);
            throw new CommandFailedException(AdminExitCodes.RuntimeFailure,
                $"a reconcile of location {location} is already running ({run?.LeaseOwner ?? "another process"}, lease until {run?.LeaseUntil:O}); try again when it has finished.");
        }

        var output = session.Console.Output;
        if (parseResult.GetValue(_json) || !session.Console.OutputIsTerminal)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                result.LocationId,
                result.DryRun,
                result.Counts.ContactsSeen,
                result.Counts.KeysAdded,
                result.Counts.KeysRemoved,
                result.Counts.ContactsRemoved,
                addedKeys = result.AddedKeys.Select(Describe),
                removedKeys = result.RemovedKeys.Select(Describe),
                removedContacts = result.RemovedContacts,
            }, Json));
            return AdminExitCodes.Success;
        }

        var verb = result.DryRun ? "would be" : "were";
        await output.WriteLineAsync(
            $"Location {location}: {result.Counts.ContactsSeen:N0} contact(s) in the CRM; {result.Counts.KeysAdded:N0} key(s) {verb} added, " +
            $"{result.Counts.KeysRemoved:N0} key(s) {verb} removed, {result.Counts.ContactsRemoved:N0} vanished contact(s) {verb} forgotten{(result.DryRun ? " (dry run: nothing changed)" : "")}.");
        await WriteListAsync(output, "added", result.AddedKeys.Select(k => $"{k.Key} -> {k.ContactId}").ToList());
        await WriteListAsync(output, "removed", result.RemovedKeys.Select(k => $"{k.Key} (was {k.ContactId})").ToList());
        await WriteListAsync(output, "forgotten", result.RemovedContacts);
        return AdminExitCodes.Success;
    }

    private static object Describe(ContactKeyEntry entry) => new { kind = entry.Key.Kind.ToString(), value = entry.Key.Value, contactId = entry.ContactId };

    private static async Task WriteListAsync(TextWriter output, string label, IReadOnlyList<string> items)
    {
        foreach (var item in items.Take(ShownPerList))
        {
            await output.WriteLineAsync($"  {label,-9} {item}");
        }

        if (items.Count > ShownPerList)
        {
            await output.WriteLineAsync($"  … and {items.Count - ShownPerList:N0} more {label} (--json lists them all)");
        }
    }
}
