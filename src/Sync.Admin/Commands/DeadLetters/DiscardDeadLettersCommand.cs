using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;
using Sync.Storage;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary><c>dlq discard ID… | --group FP | --filter…</c>: drop dead letters on purpose, recorded in the audit trail.</summary>
internal sealed class DiscardDeadLettersCommand(AdminSession session)
{
    private readonly Argument<Guid[]> _ids = DeadLetterOutput.IdsArgument("Dead letters to discard (or select them with --group and the filters).");
    private readonly DeadLetterFilterOptions _filter = new(DeadLetterStatus.New);
    private readonly Option<string?> _note = new("--note") { Description = "Why, for the audit trail.", HelpName = "text" };
    private readonly Option<string?> _by = DeadLetterOutput.ByOption();
    private readonly Option<bool> _yes = DeadLetterOutput.YesOption();

    public Command Build()
    {
        var command = new Command("discard", "Discard dead letters (by id, --group or filters): they stay in the store, marked discarded, until purged.")
        {
            _ids, _note, _by, _yes,
        };
        _filter.AddTo(command);
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var operations = services.GetRequiredService<DeadLetterOperations>();
        var ids = parseResult.GetValue(_ids) ?? [];
        var filtered = _filter.AnyGiven(parseResult);
        if (ids.Length > 0 && filtered)
        {
            throw CommandFailedException.Usage("give dead-letter ids or filters (--group, --queue, …), not both.");
        }

        if (ids.Length == 0 && !filtered)
        {
            throw CommandFailedException.Usage("say what to discard: dead-letter ids, --group FINGERPRINT, or filters such as --queue.");
        }

        IReadOnlyList<Guid> selected = ids.Length > 0
            ? ids
            : [.. (await operations.SelectAsync(_filter.Build(parseResult, services.GetRequiredService<TimeProvider>().GetUtcNow()), cancellationToken)).Select(d => d.Id)];
        var console = session.Console;
        if (selected.Count == 0)
        {
            await console.Output.WriteLineAsync("No dead letters match: nothing to discard.");
            return AdminExitCodes.Success;
        }

        DeadLetterOutput.Confirm(console, parseResult.GetValue(_yes), $"Discard {selected.Count} dead letter(s)?", $"refusing to discard {selected.Count} dead letter(s)");
        var actor = DeadLetterOutput.Actor(parseResult.GetValue(_by));
        var note = parseResult.GetValue(_note);
        var missing = new List<Guid>();
        foreach (var id in selected)
        {
            if (!await operations.DiscardAsync(id, actor, note, cancellationToken))
            {
                missing.Add(id);
            }
        }

        await console.Output.WriteLineAsync($"Discarded {selected.Count - missing.Count} dead letter(s).");
        if (missing.Count > 0)
        {
            await console.Error.WriteLineAsync($"error: no dead letter {string.Join(", ", missing)}.");
            return AdminExitCodes.UsageError;
        }

        return AdminExitCodes.Success;
    }
}
