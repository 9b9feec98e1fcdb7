using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary><c>dlq status</c>: queue depths and consumers, outbox backlog, open dead letters per group, circuits.</summary>
internal sealed class DeadLetterStatusCommand(AdminSession session)
{
    private readonly Option<bool> _json = DeadLetterOutput.JsonOption();

    public Command Build()
    {
        var command = new Command("status", "Queue depths and consumers, outbox backlog and oldest age, open dead letters per group, and the circuits' state.") { _json };
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var status = await services.GetRequiredService<DeadLetterOperations>().StatusAsync(cancellationToken);
        var output = session.Console.Output;
        if (DeadLetterOutput.WantsJson(session.Console, parseResult.GetValue(_json)))
        {
            await DeadLetterOutput.WriteJsonAsync(output, status);
            return AdminExitCodes.Success;
        }

        static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
        await output.WriteLineAsync("Queues:");
        if (status.BrokerError is { } error)
        {
            await output.WriteLineAsync($"  {error}");
        }
        else
        {
            DeadLetterOutput.WriteTable(output, ["  QUEUE", "MESSAGES", "CONSUMERS"],
                [.. status.Queues.Select(q => new[] { "  " + q.Queue, q.Exists ? N(q.Messages) : "missing", q.Exists ? N(q.Consumers) : "-" })]);
        }

        await output.WriteLineAsync(status.OutboxPending == 0
            ? "Outbox: empty."
            : $"Outbox: {status.OutboxPending} unsent, oldest {status.OutboxOldestAge?.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture) ?? "-"} old.");
        await output.WriteLineAsync("Dead letters waiting (by group):");
        if (status.Groups.Count == 0)
        {
            await output.WriteLineAsync("  none.");
        }
        else
        {
            DeadLetterOutput.WriteTable(output, ["  GROUP", "COUNT", "CLASSIFICATION", "FAULT"],
                [.. status.Groups.Select(g => new[] { "  " + g.Fingerprint, N(g.Count), g.Classification ?? "-", DeadLetterOutput.Cut(g.SampleFaultMessage, 60) })]);
        }

        await output.WriteLineAsync("Circuits:");
        if (status.Circuits.Count == 0)
        {
            await output.WriteLineAsync("  none reported.");
        }
        else
        {
            DeadLetterOutput.WriteTable(output, ["  CIRCUIT", "OWNER", "STATE", "SINCE (UTC)", "REASON"],
                [.. status.Circuits.Select(c => new[] { "  " + c.Circuit, c.Owner, c.State, DeadLetterOutput.Time(c.ChangedAt), c.Reason ?? "-" })]);
        }

        return AdminExitCodes.Success;
    }
}
