using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary>
/// <c>dlq edit ID</c>: change a dead letter's message and send it as a new message, after checking it against the
/// message contract. The original is kept and marked.
/// </summary>
internal sealed class EditDeadLetterCommand(AdminSession session)
{
    private readonly Argument<Guid> _id = new("id") { Description = "The dead letter to edit." };
    private readonly Option<FileInfo?> _file = new("--file") { Description = "Read the new message (JSON) from this file instead of opening $EDITOR.", HelpName = "file" };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "Check the edited message; send nothing." };
    private readonly Option<string?> _by = DeadLetterOutput.ByOption();

    public Command Build()
    {
        var command = new Command(
            "edit",
            "Edit a dead letter's message (in $EDITOR, or from --file), check it against the message contract, and replay it as a new message; the original is kept and marked.")
        {
            _id, _file, _dryRun, _by,
        };
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var operations = services.GetRequiredService<DeadLetterOperations>();
        var id = parseResult.GetValue(_id);
        var deadLetter = await operations.GetAsync(id, cancellationToken) ?? throw CommandFailedException.Usage($"no dead letter {id}.");
        var file = parseResult.GetValue(_file);
        string edited;
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw CommandFailedException.Usage($"the file '{file.FullName}' does not exist.");
            }

            edited = await File.ReadAllTextAsync(file.FullName, cancellationToken);
        }
        else
        {
            edited = await EditInEditorAsync(ReplayMessageBuilder.EditableMessage(deadLetter), cancellationToken);
        }

        var outcome = await operations.EditAndReplayAsync(id, edited, DeadLetterOutput.Actor(parseResult.GetValue(_by)), parseResult.GetValue(_dryRun), cancellationToken);
        await session.Console.Output.WriteLineAsync(outcome.Kind == ReplayOutcomeKind.WouldReplay
            ? $"Dry run: the edited message is valid and would be sent as new message {outcome.MessageId}; nothing was changed."
            : $"Edited dead letter {id}: {outcome.Detail} as new message {outcome.MessageId}. The original is kept, marked replayed.");
        return AdminExitCodes.Success;
    }

    private async Task<string> EditInEditorAsync(string message, CancellationToken cancellationToken)
    {
        var editor = Environment.GetEnvironmentVariable("VISUAL") is { Length: > 0 } visual ? visual
            : Environment.GetEnvironmentVariable("EDITOR") is { Length: > 0 } e ? e
            : null;
        if (editor is null || !session.Console.IsInteractive)
        {
            throw CommandFailedException.Usage("no editor: set $EDITOR and run at a terminal, or give the new message with --file.");
        }

        var path = Path.Combine(Path.GetTempPath(), $"sync-dead-letter-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, message, cancellationToken);
        try
        {
            var parts = editor.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            var start = new ProcessStartInfo(parts[0]) { UseShellExecute = false };
            if (parts.Length > 1)
            {
                start.ArgumentList.Add(parts[1]);
            }

            start.ArgumentList.Add(path);
            using var process = Process.Start(start) ?? throw CommandFailedException.Usage($"cannot start the editor '{editor}'.");
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw CommandFailedException.Usage($"the editor exited with code {process.ExitCode}: nothing was changed.");
            }

            var edited = await File.ReadAllTextAsync(path, cancellationToken);
            if (edited.Trim() == message.Trim())
            {
                throw CommandFailedException.Usage("the message was not changed: nothing was sent. Use `dlq replay` to replay it as it is.");
            }

            return edited;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
