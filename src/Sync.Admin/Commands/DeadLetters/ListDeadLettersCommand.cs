using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;
using Sync.Storage;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary><c>dlq list</c>: dead letters matching the filters, most recent failure first, a page at a time.</summary>
internal sealed class ListDeadLettersCommand(AdminSession session)
{
    private readonly DeadLetterFilterOptions _filter = new();
    private readonly Option<bool> _json = DeadLetterOutput.JsonOption();
    private readonly Option<int> _skip = new("--skip") { Description = "Skip this many (paging).", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _take = new("--take") { Description = $"Show at most this many (1–{DeadLetterFilter.MaxTake}).", DefaultValueFactory = _ => 50 };
    private readonly Option<bool> _includePii = new("--include-pii") { Description = "With --json: keep emails, phones and names (masked or dropped by default)." };

    public Command Build()
    {
        var command = new Command("list", "List dead letters: id, last failure, queue, classification, HTTP status, location, fault.") { _json, _skip, _take, _includePii };
        _filter.AddTo(command);
        _skip.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) { r.AddError("--skip must not be negative."); } });
        _take.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > DeadLetterFilter.MaxTake)
            {
                r.AddError($"--take must be between 1 and {DeadLetterFilter.MaxTake}.");
            }
        });
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var filter = _filter.Build(parseResult, now) with { Skip = parseResult.GetValue(_skip), Take = parseResult.GetValue(_take) };
        var page = await services.GetRequiredService<DeadLetterOperations>().ListAsync(filter, cancellationToken);
        var output = session.Console.Output;
        if (DeadLetterOutput.WantsJson(session.Console, parseResult.GetValue(_json)))
        {
            var includePii = parseResult.GetValue(_includePii);
            await DeadLetterOutput.WriteJsonAsync(output, new
            {
                page.Total,
                filter.Skip,
                filter.Take,
                Items = page.Items.Select(d => DeadLetterView.From(d, detailed: false, includePii)).ToList(),
            });
            return AdminExitCodes.Success;
        }

        if (page.Items.Count == 0)
        {
            await output.WriteLineAsync(page.Total == 0 ? "No dead letters match." : $"No dead letters on this page ({page.Total} match in all).");
            return AdminExitCodes.Success;
        }

        DeadLetterOutput.WriteTable(
            output,
            ["ID", "LAST FAILED (UTC)", "QUEUE", "CLASSIFICATION", "HTTP", "LOCATION", "STATUS", "COUNT", "FAULT"],
            [.. page.Items.Select(d => new[]
            {
                d.Id.ToString(), DeadLetterOutput.Time(d.LastFailedAt), d.SourceQueue, d.Classification, d.HttpStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                d.LocationId ?? "-", d.Status.ToString().ToLowerInvariant(), d.FailureCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                DeadLetterOutput.Cut(d.FaultMessage, 60),
            })]);
        await output.WriteLineAsync($"{filter.Skip + 1}–{filter.Skip + page.Items.Count} of {page.Total}. `sync-admin dlq show ID` for details.");
        return AdminExitCodes.Success;
    }
}
