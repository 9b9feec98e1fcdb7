using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary><c>dlq show ID</c>: one dead letter in full: fault, Sync's classification, headers, audit trail, the body pretty-printed.</summary>
internal sealed class ShowDeadLetterCommand(AdminSession session)
{
    private readonly Argument<Guid> _id = new("id") { Description = "The dead letter's id (from `dlq list`)." };
    private readonly Option<bool> _json = DeadLetterOutput.JsonOption();

    public Command Build()
    {
        var command = new Command("show", "Show one dead letter: fault details, classification, HTTP status and API answer, headers, audit trail and the body.") { _id, _json };
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var operations = services.GetRequiredService<DeadLetterOperations>();
        var id = parseResult.GetValue(_id);
        var deadLetter = await operations.GetAsync(id, cancellationToken) ?? throw CommandFailedException.Usage($"no dead letter {id}.");
        var trail = await operations.AuditTrailAsync(id, cancellationToken);
        var view = DeadLetterView.From(deadLetter, detailed: true, includePersonalData: true);
        var output = session.Console.Output;
        if (DeadLetterOutput.WantsJson(session.Console, parseResult.GetValue(_json)))
        {
            await DeadLetterOutput.WriteJsonAsync(output, new { DeadLetter = view, Audit = trail });
            return AdminExitCodes.Success;
        }

        await output.WriteLineAsync($"Dead letter {view.Id} ({view.Status})");
        await output.WriteLineAsync($"  queue:          {view.Queue}");
        await output.WriteLineAsync($"  message:        {view.MessageId} ({view.MessageType ?? "unknown type"})");
        await output.WriteLineAsync($"  location:       {view.LocationId ?? "-"}");
        await output.WriteLineAsync($"  classification: {view.Classification}");
        await output.WriteLineAsync($"  HTTP status:    {view.HttpStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}");
        await output.WriteLineAsync($"  API answer:     {view.ApiAnswer ?? "-"}");
        await output.WriteLineAsync($"  fault:          {view.FaultType ?? "-"}: {view.FaultMessage ?? "-"}");
        await output.WriteLineAsync($"  consumer:       {view.Consumer ?? "-"}");
        await output.WriteLineAsync($"  attempts:       {view.Attempts?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}");
        await output.WriteLineAsync($"  failures:       {view.FailureCount} (first {DeadLetterOutput.Time(view.FirstFailedAt)}, last {DeadLetterOutput.Time(view.LastFailedAt)} UTC)");
        await output.WriteLineAsync($"  replays:        {view.ReplayCount}{(view.ReplayOf is { } of ? $" (this is a failed replay of {of})" : "")}");
        await output.WriteLineAsync($"  group:          {view.Fingerprint}");
        await output.WriteLineAsync("Headers:");
        foreach (var (key, value) in view.Headers!.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            if (key != DeadLetterHeaders.FaultStackTrace)
            {
                await output.WriteLineAsync($"  {key}: {DeadLetterOutput.Cut(value, 200)}");
            }
        }

        if (trail.Count > 0)
        {
            await output.WriteLineAsync("Audit:");
            foreach (var entry in trail)
            {
                await output.WriteLineAsync($"  {DeadLetterOutput.Time(entry.At)}  {entry.Action.ToString().ToLowerInvariant()} by {entry.Actor}{(entry.Note is null ? "" : $": {entry.Note}")}");
            }
        }

        if (view.StackTrace is { } stack)
        {
            await output.WriteLineAsync("Stack trace:");
            await output.WriteLineAsync(stack);
        }

        await output.WriteLineAsync("Body:");
        await output.WriteLineAsync(view.Body?.ToJsonString(DeadLetterView.JsonOptions) ?? "(empty)");
        return AdminExitCodes.Success;
    }
}
