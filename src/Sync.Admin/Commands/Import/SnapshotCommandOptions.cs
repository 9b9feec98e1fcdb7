using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sync.Components.Import;
using Sync.Storage;

namespace Sync.Admin.Commands.Import;

/// <summary>What <c>import</c> and <c>diff</c> share: the snapshot file, its format and mapping, waiting, and their output.</summary>
internal sealed class SnapshotCommandOptions
{
    public const int ShownPerList = 20;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public SnapshotCommandOptions(string locationDescription)
    {
        Location = AdminOptions.Location(locationDescription);
        Timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<TimeSpan>() <= TimeSpan.Zero)
            {
                result.AddError("--timeout must be above zero (e.g. 00:10:00).");
            }
        });
    }

    public Option<string> Location { get; }

    public Option<FileInfo> File { get; } = new("--file")
    {
        Description = "The snapshot: JSON lines (.jsonl) or CSV with a header row (.csv).",
        Required = true,
        HelpName = "file",
    };

    public Option<string?> Format { get; } = new Option<string?>("--format")
    {
        Description = "jsonl or csv, when the file's extension does not say.",
        HelpName = "jsonl|csv",
    }.AcceptOnlyFromAmong("jsonl", "csv");

    public Option<string[]> Map { get; } = new("--map")
    {
        Description = "column=field, repeatable: which column feeds which field (email, phone, externalId, firstName, lastName, name, companyName, " +
                      "address1, city, state, postalCode, country, website, timezone, source, tags, occurredAt, customFields.<key>); " +
                      "by default columns feed the fields of their names.",
        HelpName = "column=field",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> Wait { get; } = new("--wait") { Description = "After queueing, wait until the worker applied or dead-lettered every queued event." };

    public Option<TimeSpan> Timeout { get; } = new("--timeout")
    {
        Description = "How long --wait waits (default 00:30:00).",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(30),
        HelpName = "hh:mm:ss",
    };

    public Option<bool> JsonOutput { get; } = new("--json") { Description = "Write JSON (also when the output is not a terminal)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Location);
        command.Options.Add(File);
        command.Options.Add(Format);
        command.Options.Add(Map);
    }

    public static SnapshotFormat? FormatOf(string? name) => name switch
    {
        "jsonl" => SnapshotFormat.JsonLines,
        "csv" => SnapshotFormat.Csv,
        _ => null,
    };

    public SnapshotMapping Mapping(ParseResult parseResult)
    {
        try
        {
            return SnapshotMapping.Parse(parseResult.GetValue(Map) ?? []);
        }
        catch (ArgumentException ex)
        {
            throw CommandFailedException.Usage(ex.Message);
        }
    }

    /// <summary>The location must be installed: the worker would dead-letter every event of another.</summary>
    public static async Task RequireInstalledAsync(IServiceProvider services, string location, CancellationToken cancellationToken)
    {
        if (await services.GetRequiredService<IInstallationStore>().GetAsync(location, cancellationToken) is null)
        {
            throw CommandFailedException.Usage($"location {location} is not installed (see `sync-admin installations list`).");
        }
    }

    /// <summary>Waits for queued events with a progress bar.</summary>
    public async Task<ImportWaitResult> WaitAsync(
        AdminConsole console, ContactImporter importer, IReadOnlyList<(Guid MessageId, int Line)> messages, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var bar = new ProgressBar(console, "event(s) done");
        var progress = new Progress(bar, messages.Count);
        try
        {
            return await importer.WaitAsync(messages, parseResult.GetValue(Timeout), TimeSpan.FromSeconds(1), progress, cancellationToken);
        }
        finally
        {
            bar.Done();
        }
    }

    public static async Task WriteRejectionsAsync(TextWriter output, string label, IReadOnlyList<RejectedRow> rows, long count)
    {
        foreach (var row in rows.Take(ShownPerList))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {label,-13} line {row.Line}: {row.Reason}"));
        }

        if (count > Math.Min(rows.Count, ShownPerList))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  … and {count - Math.Min(rows.Count, ShownPerList):N0} more {label} (--json lists {(count > rows.Count ? $"the first {rows.Count:N0}" : "them all")})"));
        }
    }

    private sealed class Progress(ProgressBar bar, int total) : IProgress<long>
    {
        public void Report(long value) => bar.Report(value, total);
    }
}
