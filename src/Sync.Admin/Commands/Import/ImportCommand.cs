using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Import;

namespace Sync.Admin.Commands.Import;

/// <summary>
/// <c>import --location L --file FILE</c>: every row of a snapshot file becomes a source event queued through the
/// outbox for the worker (<see cref="ContactImporter"/>); rows already handed over are left alone; a summary of
/// queued, unchanged and rejected rows (with <c>--wait</c>: applied, dead-lettered, pending).
/// </summary>
internal sealed class ImportCommand(AdminSession session)
{
    private readonly SnapshotCommandOptions _options = new("The location the contacts are imported into (an installed one).");

    public Command Build()
    {
        var command = new Command("import",
            "Import contacts from a JSON-lines or CSV file: each row becomes an upsert event applied by the worker at the location's API budget; importing the same file again applies nothing twice.");
        _options.AddTo(command);
        command.Options.Add(_options.Wait);
        command.Options.Add(_options.Timeout);
        command.Options.Add(_options.JsonOutput);
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var location = parseResult.GetValue(_options.Location)!;
        var file = parseResult.GetValue(_options.File)!;
        var mapping = _options.Mapping(parseResult);
        var wait = parseResult.GetValue(_options.Wait);
        await SnapshotCommandOptions.RequireInstalledAsync(services, location, cancellationToken);

        var importer = services.GetRequiredService<ContactImporter>();
        var request = new ImportRequest(location, file.FullName, SnapshotCommandOptions.FormatOf(parseResult.GetValue(_options.Format)), mapping) { KeepQueued = wait };
        var bar = new ProgressBar(session.Console, "row(s) read");
        ImportResult result;
        try
        {
            result = await importer.ImportAsync(request, new Progress(bar), cancellationToken);
        }
        catch (SnapshotFileException unreadable)
        {
            throw CommandFailedException.Usage($"{file.Name}: {unreadable.Message}");
        }
        finally
        {
            bar.Done();
        }

        ImportWaitResult? waited = wait ? await _options.WaitAsync(session.Console, importer, result.QueuedMessages, parseResult, cancellationToken) : null;
        await WriteAsync(parseResult, location, file, result, waited);
        return waited is { Pending.Count: > 0 } ? AdminExitCodes.RuntimeFailure
            : result.RejectedCount > 0 || waited is { DeadLettered.Count: > 0 } ? AdminExitCodes.RowsRejected
            : AdminExitCodes.Success;
    }

    private async Task WriteAsync(ParseResult parseResult, string location, FileInfo file, ImportResult result, ImportWaitResult? waited)
    {
        var output = session.Console.Output;
        if (parseResult.GetValue(_options.JsonOutput) || !session.Console.OutputIsTerminal)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new
            {
                locationId = location,
                file = file.FullName,
                result.Rows,
                result.Queued,
                result.Unchanged,
                result.AlreadyApplied,
                result.AlreadyQueued,
                result.EarlierDeadLettered,
                rejected = result.RejectedCount,
                rejectedRows = result.Rejected,
                ignoredColumns = result.IgnoredColumns,
                defaultOccurredAt = result.DefaultOccurredAt,
                applied = waited?.Applied,
                deadLettered = waited?.DeadLettered.Count,
                deadLetteredRows = waited?.DeadLettered,
                pending = waited?.Pending.Count,
                pendingLines = waited?.Pending.Take(1000),
            }, SnapshotCommandOptions.Json));
            return;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Imported {file.Name} into location {location}: {result.Rows:N0} row(s) read; {result.Queued:N0} queued, {result.Unchanged:N0} unchanged, {result.RejectedCount:N0} rejected."));
        if (result.Unchanged > 0)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  unchanged: {result.AlreadyApplied:N0} applied before, {result.AlreadyQueued:N0} already queued, {result.EarlierDeadLettered:N0} dead-lettered before (`sync-admin dlq list`)"));
        }

        await SnapshotCommandOptions.WriteRejectionsAsync(output, "rejected", result.Rejected, result.RejectedCount);
        if (result.IgnoredColumns.Count > 0)
        {
            await output.WriteLineAsync($"  ignored columns (they feed no field; see --map): {string.Join(", ", result.IgnoredColumns)}");
        }

        if (waited is null)
        {
            if (result.Queued > 0)
            {
                await output.WriteLineAsync(
                    "The worker applies the queued rows at the location's API budget. To follow them: run the same import again with --wait " +
                    "(it queues nothing twice), `sync-admin dlq status` for the backlog, `sync-admin dlq list` for failures.");
            }

            return;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Applied {waited.Applied:N0}, dead-lettered {waited.DeadLettered.Count:N0}, still pending {waited.Pending.Count:N0}."));
        await SnapshotCommandOptions.WriteRejectionsAsync(output, "dead-lettered", waited.DeadLettered, waited.DeadLettered.Count);
        if (waited.Pending.Count > 0)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  pending lines: {string.Join(", ", waited.Pending.Take(SnapshotCommandOptions.ShownPerList))}{(waited.Pending.Count > SnapshotCommandOptions.ShownPerList ? ", …" : "")} (is a worker running? `sync-admin dlq status`)"));
        }
    }

    private sealed class Progress(ProgressBar bar) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => bar.ReportFraction(value.Rows, value.Fraction);
    }
}
