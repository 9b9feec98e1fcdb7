using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Import;

namespace Sync.Admin.Commands.Import;

/// <summary>
/// <c>diff --location L --file FILE</c>: compares a snapshot with the CRM's contacts (<see cref="SnapshotComparer"/>) and
/// prints the differences; <c>--repair</c> queues an event per difference through the import's path. Exit code 4 when
/// there are differences, 0 when none.
/// </summary>
internal sealed class DiffCommand(AdminSession session)
{
    private readonly SnapshotCommandOptions _options = new("The location whose CRM contacts are compared.");
    private readonly Option<bool> _repair = new("--repair") { Description = "Queue one event per differing contact (upsert, tags to add, tags to remove) for the worker." };

    private readonly Option<double> _share = new("--budget-share")
    {
        Description = "The share of the location's API budget the reading may use, above 0 and at most 1 (default 1; e.g. 0.2 while the worker is busy).",
        DefaultValueFactory = _ => 1.0,
        HelpName = "share",
    };

    public Command Build()
    {
        _share.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is var share && !(share > 0 && share <= 1))
            {
                result.AddError("--budget-share must be above 0 and at most 1.");
            }
        });
        var command = new Command("diff",
            "Compare a snapshot file (JSON lines or CSV) with the CRM by email, else phone: fields that differ, contacts missing, tags missing or extra; --repair queues the fixes.");
        _options.AddTo(command);
        command.Options.Add(_repair);
        command.Options.Add(_options.Wait);
        command.Options.Add(_options.Timeout);
        command.Options.Add(_share);
        command.Options.Add(_options.JsonOutput);
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var location = parseResult.GetValue(_options.Location)!;
        var file = parseResult.GetValue(_options.File)!;
        var mapping = _options.Mapping(parseResult);
        var repair = parseResult.GetValue(_repair);
        if (parseResult.GetValue(_options.Wait) && !repair)
        {
            throw CommandFailedException.Usage("--wait waits for a repair: give --repair too.");
        }

        await SnapshotCommandOptions.RequireInstalledAsync(services, location, cancellationToken);
        var comparer = services.GetRequiredService<SnapshotComparer>();
        var request = new DiffRequest(location, file.FullName, SnapshotCommandOptions.FormatOf(parseResult.GetValue(_options.Format)), mapping)
        {
            BudgetShare = parseResult.GetValue(_share),
        };
        var bar = new ProgressBar(session.Console, "CRM contact(s) read");
        DiffResult result;
        try
        {
            result = await comparer.CompareAsync(request, bar, cancellationToken);
        }
        catch (SnapshotFileException unreadable)
        {
            throw CommandFailedException.Usage($"{file.Name}: {unreadable.Message}");
        }
        finally
        {
            bar.Done();
        }

        RepairResult? repaired = null;
        ImportWaitResult? waited = null;
        if (repair && result.Differences.Count > 0)
        {
            repaired = await comparer.RepairAsync(location, result.Differences, cancellationToken);
            if (parseResult.GetValue(_options.Wait))
            {
                waited = await _options.WaitAsync(session.Console, services.GetRequiredService<ContactImporter>(), repaired.Messages, parseResult, cancellationToken);
            }
        }

        await WriteAsync(parseResult, location, file, result, repaired, waited);
        return waited is { Pending.Count: > 0 } ? AdminExitCodes.RuntimeFailure
            : result.Differences.Count > 0 ? AdminExitCodes.DifferencesFound
            : AdminExitCodes.Success;
    }

    private async Task WriteAsync(ParseResult parseResult, string location, FileInfo file, DiffResult result, RepairResult? repaired, ImportWaitResult? waited)
    {
        var output = session.Console.Output;
        if (parseResult.GetValue(_options.JsonOutput) || !session.Console.OutputIsTerminal)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                locationId = location,
                file = file.FullName,
                result.Rows,
                result.CrmContacts,
                result.Matched,
                differences = result.Differences.Count,
                missing = result.Differences.Count(d => d.Kind == ContactDifferenceKind.Missing),
                different = result.Differences.Count(d => d.Kind == ContactDifferenceKind.Different),
                contacts = result.Differences.Select(d => new
                {
                    d.Line,
                    d.Key,
                    d.ContactId,
                    kind = d.Kind == ContactDifferenceKind.Missing ? "missing" : "different",
                    fields = d.Fields,
                    tagsMissing = d.TagsMissing,
                    tagsExtra = d.TagsExtra,
                }),
                rejected = result.RejectedCount,
                rejectedRows = result.Rejected,
                ignoredColumns = result.IgnoredColumns,
                repairQueued = repaired?.Queued,
                repairUnchanged = repaired?.Unchanged,
                applied = waited?.Applied,
                deadLetteredRows = waited?.DeadLettered,
                pending = waited?.Pending.Count,
            }, SnapshotCommandOptions.Json));
            return;
        }

        var missing = result.Differences.Count(d => d.Kind == ContactDifferenceKind.Missing);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Compared {file.Name} ({result.Rows:N0} row(s)) with location {location} ({result.CrmContacts:N0} contact(s) in the CRM): " +
            $"{result.Differences.Count - missing:N0} contact(s) differ, {missing:N0} missing in the CRM, {result.RejectedCount:N0} row(s) rejected."));
        foreach (var difference in result.Differences.Take(SnapshotCommandOptions.ShownPerList))
        {
            await output.WriteLineAsync(Describe(difference));
        }

        if (result.Differences.Count > SnapshotCommandOptions.ShownPerList)
        {
            await output.WriteLineAsync($"  … and {result.Differences.Count - SnapshotCommandOptions.ShownPerList:N0} more (--json lists them all)");
        }

        await SnapshotCommandOptions.WriteRejectionsAsync(output, "rejected", result.Rejected, result.RejectedCount);
        if (repaired is not null)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Repair: {repaired.Queued:N0} event(s) queued, {repaired.Unchanged:N0} already queued or applied."));
        }

        if (waited is not null)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Applied {waited.Applied:N0}, dead-lettered {waited.DeadLettered.Count:N0}, still pending {waited.Pending.Count:N0}."));
            await SnapshotCommandOptions.WriteRejectionsAsync(output, "dead-lettered", waited.DeadLettered, waited.DeadLettered.Count);
        }
    }

    private static string Describe(ContactDifference difference)
    {
        if (difference.Kind == ContactDifferenceKind.Missing)
        {
            return string.Create(CultureInfo.InvariantCulture, $"  missing   line {difference.Line}: {difference.Key}");
        }

        var parts = difference.Fields.Select(f => $"{f.Field} '{f.Crm}' -> '{f.Snapshot}'").ToList();
        if (difference.TagsMissing.Count > 0)
        {
            parts.Add("tags to add: " + string.Join(", ", difference.TagsMissing));
        }

        if (difference.TagsExtra.Count > 0)
        {
            parts.Add("extra tags: " + string.Join(", ", difference.TagsExtra));
        }

        return string.Create(CultureInfo.InvariantCulture, $"  different line {difference.Line}: {difference.Key} ({difference.ContactId}): {string.Join("; ", parts)}");
    }
}
