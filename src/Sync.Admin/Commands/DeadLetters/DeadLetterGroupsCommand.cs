using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;
using Sync.Storage;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary><c>dlq groups</c>: alike failures together (by fingerprint), largest group first.</summary>
internal sealed class DeadLetterGroupsCommand(AdminSession session)
{
    private readonly DeadLetterFilterOptions _filter = new(DeadLetterStatus.New);
    private readonly Option<bool> _json = DeadLetterOutput.JsonOption();
    private readonly Option<int> _take = new("--take") { Description = "Show at most this many groups.", DefaultValueFactory = _ => 50 };

    public Command Build()
    {
        var command = new Command(
            "groups",
            "Group dead letters by cause (fingerprint: message type, fault type, normalised fault message, consumer): count, first and last seen, locations, one example. New ones only unless --status is given.")
        {
            _json, _take,
        };
        _filter.AddTo(command);
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
        var filter = _filter.Build(parseResult, now) with { Take = parseResult.GetValue(_take) };
        var groups = await services.GetRequiredService<DeadLetterOperations>().GroupsAsync(filter, cancellationToken);
        var output = session.Console.Output;
        if (DeadLetterOutput.WantsJson(session.Console, parseResult.GetValue(_json)))
        {
            await DeadLetterOutput.WriteJsonAsync(output, groups.Select(g => new
            {
                g.Fingerprint, g.Count, g.Classification, g.MessageType, g.FaultType, SampleFaultMessage = Redaction.RedactText(g.SampleFaultMessage),
                g.LocationCount, g.SampleLocationId, g.ExampleId, g.FirstFailedAt, g.LastFailedAt,
            }));
            return AdminExitCodes.Success;
        }

        if (groups.Count == 0)
        {
            await output.WriteLineAsync("No dead letters match.");
            return AdminExitCodes.Success;
        }

        DeadLetterOutput.WriteTable(
            output,
            ["GROUP", "COUNT", "CLASSIFICATION", "TYPE", "LOCATIONS", "FIRST SEEN (UTC)", "LAST SEEN (UTC)", "EXAMPLE", "FAULT"],
            [.. groups.Select(g => new[]
            {
                g.Fingerprint, g.Count.ToString(CultureInfo.InvariantCulture), g.Classification ?? "-", ShortType(g.MessageType),
                g.LocationCount == 1 ? g.SampleLocationId ?? "1" : g.LocationCount.ToString(CultureInfo.InvariantCulture),
                DeadLetterOutput.Time(g.FirstFailedAt), DeadLetterOutput.Time(g.LastFailedAt), g.ExampleId?.ToString() ?? "-",
                DeadLetterOutput.Cut(g.SampleFaultMessage, 60),
            })]);
        await output.WriteLineAsync("Replay a group after fixing its cause: `sync-admin dlq replay --group GROUP`.");
        return AdminExitCodes.Success;
    }

    private static string ShortType(string? type) => type is null ? "-" : type[(type.LastIndexOf('.') + 1)..];
}
