using System.CommandLine;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Sync.HoopAi.Api;
using Sync.HoopAi.Export;

namespace Sync.Admin.Commands;

/// <summary>
/// <c>contacts export --location L --out FILE.jsonl</c>: every contact of a location from the CRM as JSON lines, with a
/// progress bar, resumable after a crash (<see cref="ContactExporter"/>), only the fields asked for.
/// </summary>
internal sealed partial class ExportContactsCommand(AdminSession session)
{
    private readonly Option<string> _location = AdminOptions.Location("The location whose contacts are exported.");
    private readonly Option<FileInfo> _out = new("--out") { Description = "The file to write (JSON lines, one contact a line).", Required = true, HelpName = "file" };

    private readonly Option<string?> _fields = new("--fields")
    {
        Description = "Only these contact fields, comma-separated as the API names them (e.g. id,email,phone,tags); default: every field.",
        HelpName = "names",
    };

    private readonly Option<bool> _legacy = new("--legacy") { Description = "Read the deprecated GET /contacts/ listing (100 a page) instead of POST /contacts/search." };
    private readonly Option<int?> _pageSize = new("--page-size") { Description = "Contacts per API call (search: up to 500, default 500; legacy: up to 100, default 100).", HelpName = "n" };
    private readonly Option<bool> _restart = new("--restart") { Description = "Start over even if an unfinished export of this file is recorded beside it." };

    private readonly Option<double> _share = new("--budget-share")
    {
        Description = "The share of the location's API budget the export may use, above 0 and at most 1 (default 1; e.g. 0.2 while the worker is busy).",
        DefaultValueFactory = _ => 1.0,
        HelpName = "share",
    };

    public Command Build()
    {
        _fields.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && ParseFields(value) is { Count: 0 })
            {
                result.AddError("--fields must name at least one field (letters and digits, comma-separated).");
            }
        });
        _share.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double>() is var share && !(share > 0 && share <= 1))
            {
                result.AddError("--budget-share must be above 0 and at most 1.");
            }
        });
        _pageSize.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is { } size && (size < 1 || size > ContactPagingOptions.MaxSearchPageSize))
            {
                result.AddError($"--page-size must be 1 to {ContactPagingOptions.MaxSearchPageSize} (100 with --legacy).");
            }
        });

        var command = new Command("export", "Export every contact of a location from the CRM as JSON lines; resumes an unfinished export of the same file.")
        {
            _location, _out, _fields, _legacy, _pageSize, _restart, _share,
        };
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var legacy = parseResult.GetValue(_legacy);
        var mode = legacy ? ContactPagingMode.Legacy : ContactPagingMode.Search;
        var maxPage = legacy ? ContactPagingOptions.MaxLegacyPageSize : ContactPagingOptions.MaxSearchPageSize;
        var pageSize = parseResult.GetValue(_pageSize) ?? maxPage;
        if (pageSize > maxPage)
        {
            throw CommandFailedException.Usage($"--page-size must be 1 to {maxPage} with {(legacy ? "--legacy" : "the search")}.");
        }

        var file = parseResult.GetValue(_out)!;
        if (file.Directory is { Exists: false } directory)
        {
            throw CommandFailedException.Usage($"the folder {directory.FullName} does not exist.");
        }

        var location = parseResult.GetValue(_location)!;
        var fields = parseResult.GetValue(_fields) is { } list ? ParseFields(list) : [];
        var request = new ContactExportRequest(location, mode, fields, pageSize, parseResult.GetValue(_share));
        var exporter = new ContactExporter(services.GetRequiredService<HoopAiClient>());
        var bar = new ProgressBar(session.Console, "contacts");
        ContactExportResult result;
        try
        {
            result = await exporter.ExportAsync(request, file.FullName, parseResult.GetValue(_restart), bar, cancellationToken);
        }
        catch (ContactExportMismatchException mismatch)
        {
            throw CommandFailedException.Usage(mismatch.Message + " (--restart)");
        }
        finally
        {
            bar.Done();
        }

        var resumed = result.ResumedAfter is { } after ? $" (resumed after {after:N0})" : "";
        await session.Console.Output.WriteLineAsync($"Exported {result.Written:N0} contact(s) of location {location} to {file.FullName}{resumed}.");
        return AdminExitCodes.Success;
    }

    private static List<string> ParseFields(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is var names && names.All(n => FieldName().IsMatch(n))
            ? names.Distinct(StringComparer.Ordinal).ToList()
            : [];

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]*$")]
    private static partial Regex FieldName();
}
