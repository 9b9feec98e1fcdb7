using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Messaging.DeadLetters;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary><c>dlq export --out FILE.jsonl</c>: matching dead letters as JSON lines, personal data redacted unless asked.</summary>
internal sealed class ExportDeadLettersCommand(AdminSession session)
{
    private readonly DeadLetterFilterOptions _filter = new();
    private readonly Option<FileInfo> _out = new("--out") { Description = "The file to write (JSON lines; replaced if it exists).", Required = true, HelpName = "file" };
    private readonly Option<bool> _includePii = new("--include-pii") { Description = "Keep emails, phones and names (by default emails and phones are masked, names dropped)." };

    public Command Build()
    {
        var command = new Command("export", "Export dead letters with headers and bodies as JSON lines. Emails and phones are masked and names dropped unless --include-pii.")
        {
            _out, _includePii,
        };
        _filter.AddTo(command);
        command.SetAction((parseResult, ct) => session.RunAsync(parseResult, (services, token) => RunAsync(services, parseResult, token), ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, ParseResult parseResult, CancellationToken cancellationToken)
    {
        var operations = services.GetRequiredService<DeadLetterOperations>();
        var filter = _filter.Build(parseResult, services.GetRequiredService<TimeProvider>().GetUtcNow());
        var file = parseResult.GetValue(_out)!;
        int count;
        await using (var writer = new StreamWriter(file.FullName, append: false, new System.Text.UTF8Encoding(false)))
        {
            count = await operations.ExportAsync(filter, writer, parseResult.GetValue(_includePii), cancellationToken);
        }

        await session.Console.Output.WriteLineAsync(
            $"Exported {count} dead letter(s) to {file.FullName}{(parseResult.GetValue(_includePii) ? " (with personal data)" : " (personal data redacted)")}.");
        return AdminExitCodes.Success;
    }
}
