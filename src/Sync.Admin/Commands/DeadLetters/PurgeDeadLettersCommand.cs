using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary><c>dlq purge --older-than 30d</c>: retention — delete dead letters whose last failure is older than that.</summary>
internal sealed class PurgeDeadLettersCommand(AdminSession session)
{
    private readonly Option<string> _olderThan = new("--older-than") { Description = "Delete those whose last failure is older than this (e.g. 30d, 12h).", Required = true, HelpName = "age" };
    private readonly Option<bool> _includeNew = new("--include-new") { Description = "Also delete dead letters nobody has replayed or discarded yet." };
    private readonly Option<bool> _yes = DeadLetterOutput.YesOption();

    public Command Build()
    {
        var command = new Command("purge", "Delete replayed and discarded dead letters (and, with --include-new, unhandled ones) whose last failure is older than --older-than.")
        {
            _olderThan, _includeNew, _yes,
        };
        _olderThan.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } value && !Durations.TryParse(value, out _))
            {
                r.AddError("--older-than must be an age such as 30d, 12h or 90m.");
            }
        });
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        Durations.TryParse(parseResult.GetValue(_olderThan)!, out var age);
        var includeNew = parseResult.GetValue(_includeNew);
        var what = includeNew ? "all dead letters" : "replayed and discarded dead letters";
        DeadLetterOutput.Confirm(session.Console, parseResult.GetValue(_yes), $"Delete {what} older than {age}?", $"refusing to purge {what}");
        var purged = await services.GetRequiredService<DeadLetterOperations>().PurgeAsync(age, includeNew, cancellationToken);
        await session.Console.Output.WriteLineAsync($"Purged {purged} dead letter(s) whose last failure is older than {age}.");
        return AdminExitCodes.Success;
    }
}
