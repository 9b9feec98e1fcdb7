using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;
using Sync.Storage;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary>
/// <c>dlq replay ID… | --group FP | --filter…</c>: sends dead letters back to the queue they failed on through the
/// outbox, with a fresh redelivery schedule, recorded in the audit trail.
/// </summary>
internal sealed class ReplayDeadLettersCommand(AdminSession session)
{
    private readonly Argument<Guid[]> _ids = DeadLetterOutput.IdsArgument("Dead letters to replay (or select them with --group and the filters).");
    private readonly DeadLetterFilterOptions _filter = new(DeadLetterStatus.New);
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Show what would be replayed; change nothing." };
    private readonly Option<double?> _rate = new("--rate") { Description = "At most this many replays a second (e.g. 100).", HelpName = "per-second" };
    private readonly Option<string?> _by = DeadLetterOutput.ByOption();
    private readonly Option<bool> _yes = DeadLetterOutput.YesOption();
    private readonly Option<bool> _json = DeadLetterOutput.JsonOption();

    public Command Build()
    {
        var command = new Command(
            "replay",
            "Replay dead letters (by id, --group or filters) to the queue they failed on, through the outbox, with a fresh redelivery schedule. Fix the cause first.")
        {
            _ids, _dryRun, _rate, _by, _yes, _json,
        };
        _filter.AddTo(command);
        _rate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is { } rate && (rate <= 0 || double.IsNaN(rate) || double.IsInfinity(rate)))
            {
                r.AddError("--rate must be a positive number of replays per second.");
            }
        });
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var operations = services.GetRequiredService<DeadLetterOperations>();
        var console = session.Console;
        var dryRun = parseResult.GetValue(_dryRun);
        var ids = await SelectAsync(services, operations, parseResult, cancellationToken);
        if (ids.Count == 0)
        {
            await console.Output.WriteLineAsync("No dead letters match: nothing to replay.");
            return AdminExitCodes.Success;
        }

        var bulk = ids.Count > 1 || parseResult.GetValue(_ids) is not { Length: > 0 };
        if (bulk && !dryRun)
        {
            DeadLetterOutput.Confirm(console, parseResult.GetValue(_yes), $"Replay {ids.Count} dead letter(s)?", $"refusing to replay {ids.Count} dead letter(s)");
        }

        var result = await operations.ReplayAsync(ids, DeadLetterOutput.Actor(parseResult.GetValue(_by)), parseResult.GetValue(_rate), dryRun, progress: null, cancellationToken);
        var json = DeadLetterOutput.WantsJson(console, parseResult.GetValue(_json));
        if (json)
        {
            await DeadLetterOutput.WriteJsonAsync(console.Output, new { result.DryRun, result.Replayed, result.Outcomes });
        }
        else
        {
            foreach (var outcome in result.Outcomes)
            {
                await console.Output.WriteLineAsync($"{outcome.Id}  {Describe(outcome.Kind)}  {outcome.Detail}");
            }

            await console.Output.WriteLineAsync(dryRun
                ? $"Dry run: {result.Replayed} of {ids.Count} would be replayed; nothing was changed."
                : $"Replayed {result.Replayed} of {ids.Count}. The outbox relay sends them; `sync-admin dlq status` shows the backlog.");
        }

        return result.Outcomes.Any(o => o.Kind is ReplayOutcomeKind.Refused or ReplayOutcomeKind.NotFound)
            ? AdminExitCodes.UsageError
            : AdminExitCodes.Success;
    }

    private async Task<IReadOnlyList<Guid>> SelectAsync(
        IServiceProvider services, DeadLetterOperations operations, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var ids = parseResult.GetValue(_ids) ?? [];
        var filtered = _filter.AnyGiven(parseResult);
        if (ids.Length > 0 && filtered)
        {
            throw CommandFailedException.Usage("give dead-letter ids or filters (--group, --queue, …), not both.");
        }

        if (ids.Length > 0)
        {
            return ids;
        }

        if (!filtered)
        {
            throw CommandFailedException.Usage("say what to replay: dead-letter ids, --group FINGERPRINT, or filters such as --queue or --classification.");
        }

        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var selected = await operations.SelectAsync(_filter.Build(parseResult, now), cancellationToken);

        // Oldest first: replays arrive in the order the failures happened.
        return [.. selected.OrderBy(d => d.LastFailedAt).ThenBy(d => d.Id).Select(d => d.Id)];
    }

    private static string Describe(ReplayOutcomeKind kind) => kind switch
    {
        ReplayOutcomeKind.Replayed => "replayed",
        ReplayOutcomeKind.WouldReplay => "would replay",
        ReplayOutcomeKind.Skipped => "skipped",
        ReplayOutcomeKind.Refused => "refused",
        _ => "not found",
    };

    internal static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
}
