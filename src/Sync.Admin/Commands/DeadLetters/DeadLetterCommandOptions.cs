using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sync.Messaging.DeadLetters;
using Sync.Storage;

namespace Sync.Admin.Commands.DeadLetters;

/// <summary>The filter options the <c>dlq</c> commands share, and how they become a <see cref="DeadLetterFilter"/>.</summary>
internal sealed class DeadLetterFilterOptions
{
    public Option<string?> Queue { get; } = new("--queue") { Description = "Only dead letters of this work queue (e.g. webhook-received).", HelpName = "name" };

    public Option<string?> Location { get; } = new("--location") { Description = "Only this location.", HelpName = "id" };

    public Option<string?> MessageType { get; } = new("--type") { Description = "Only this message type (e.g. Sync.Contracts.WebhookReceived).", HelpName = "type" };

    public Option<string?> Group { get; } = new("--group") { Description = "Only this group (fingerprint, from `dlq groups`).", HelpName = "fingerprint" };

    public Option<string?> Classification { get; } = new("--classification")
    {
        Description = "Only this classification: permanent, authentication, retries-exhausted, poison, unclassified, …",
        HelpName = "kind",
    };

    public Option<string?> Status { get; } = new("--status") { Description = "Only this status: new, replayed or discarded.", HelpName = "status" };

    public Option<string?> Since { get; } = new("--since") { Description = "Only those whose last failure is at or after this: a UTC time (2026-12-01T08:00Z) or an age (2h, 3d).", HelpName = "time" };

    public Option<string?> Until { get; } = new("--until") { Description = "Only those whose last failure is before this: a UTC time or an age.", HelpName = "time" };

    public Option<string?> Text { get; } = new("--text") { Description = "Only those whose fault message, API answer or body contains this text.", HelpName = "text" };

    public DeadLetterFilterOptions(DeadLetterStatus? defaultStatus = null)
    {
        DefaultStatus = defaultStatus;
        Status.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && !Enum.TryParse<DeadLetterStatus>(value, ignoreCase: true, out _))
            {
                result.AddError("--status must be new, replayed or discarded.");
            }
        });
        foreach (var option in new[] { Since, Until })
        {
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<string?>() is { } value && !TryParseTime(value, DateTimeOffset.UtcNow, out _))
                {
                    result.AddError($"{result.Option.Name} must be a UTC time such as 2026-12-01T08:00Z or an age such as 90m, 2h or 3d.");
                }
            });
        }
    }

    /// <summary>The status used when <c>--status</c> is not given (bulk actions act on new dead letters only).</summary>
    public DeadLetterStatus? DefaultStatus { get; }

    public IEnumerable<Option> All => [Queue, Location, MessageType, Group, Classification, Status, Since, Until, Text];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Whether any filter was given (a bulk action needs one, or ids).</summary>
    public bool AnyGiven(ParseResult parseResult) => All.Any(o => parseResult.GetResult(o) is { Implicit: false });

    public DeadLetterFilter Build(ParseResult parseResult, DateTimeOffset now)
    {
        DateTimeOffset? Time(Option<string?> option) =>
            parseResult.GetValue(option) is { } value && TryParseTime(value, now, out var at) ? at : null;

        return new DeadLetterFilter
        {
            SourceQueue = parseResult.GetValue(Queue),
            LocationId = parseResult.GetValue(Location),
            MessageType = parseResult.GetValue(MessageType),
            Fingerprint = parseResult.GetValue(Group),
            Classification = parseResult.GetValue(Classification),
            Status = parseResult.GetValue(Status) is { } status ? Enum.Parse<DeadLetterStatus>(status, ignoreCase: true) : DefaultStatus,
            LastFailedFrom = Time(Since),
            LastFailedBefore = Time(Until),
            Text = parseResult.GetValue(Text),
        };
    }

    /// <summary>A UTC time, or an age (<c>90m</c>, <c>2h</c>, <c>3d</c>) counted back from <paramref name="now"/>.</summary>
    public static bool TryParseTime(string value, DateTimeOffset now, out DateTimeOffset at)
    {
        if (Durations.TryParse(value, out var age))
        {
            at = now - age;
            return true;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at);
    }
}

/// <summary>Durations as operators type them: <c>45s</c>, <c>90m</c>, <c>12h</c>, <c>30d</c>, or <c>hh:mm:ss</c>.</summary>
internal static class Durations
{
    public static bool TryParse(string value, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        value = value.Trim();
        var unit = char.ToLowerInvariant(value[^1]);
        if ("smhdw".Contains(unit, StringComparison.Ordinal) &&
            double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            duration = unit switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => TimeSpan.FromDays(amount * 7),
            };
            return true;
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out duration) && duration > TimeSpan.Zero;
    }
}

/// <summary>Output shared by the <c>dlq</c> commands: tables on a terminal, JSON with <c>--json</c> or when piped.</summary>
internal static class DeadLetterOutput
{
    public static Option<bool> JsonOption() => new("--json") { Description = "Write JSON (the default when standard output is not a terminal)." };

    public static Option<string?> ByOption() => new("--by")
    {
        Description = "Who is acting, for the audit trail (default: the operating-system user).",
        HelpName = "name",
    };

    public static Option<bool> YesOption() => new("--yes") { Description = "Do not ask for confirmation (required when standard input is not a terminal)." };

    public static bool WantsJson(AdminConsole console, bool json) => json || !console.OutputIsTerminal;

    public static string Actor(string? by) => string.IsNullOrWhiteSpace(by) ? $"sync-admin ({Environment.UserName})" : by.Trim();

    public static async Task WriteJsonAsync<T>(TextWriter output, T value) =>
        await output.WriteLineAsync(JsonSerializer.Serialize(value, DeadLetterView.JsonOptions));

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Cut(string? text, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "-";
        }

        text = text.ReplaceLineEndings(" ");
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }

    public static void WriteTable(TextWriter output, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, column) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[column].Length))).ToArray();
        output.WriteLine(Line(header, widths));
        foreach (var row in rows)
        {
            output.WriteLine(Line(row, widths));
        }
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((cell, column) => column == cells.Count - 1 ? cell : cell.PadRight(widths[column]))).TrimEnd();

    /// <summary>Asks unless <paramref name="confirmed"/>; refuses without a terminal.</summary>
    public static void Confirm(AdminConsole console, bool confirmed, string question, string refusal)
    {
        if (confirmed)
        {
            return;
        }

        if (!console.IsInteractive)
        {
            throw CommandFailedException.Usage($"{refusal} without confirmation: standard input is not a terminal. Add --yes to confirm.");
        }

        if (!console.Confirm(question))
        {
            throw CommandFailedException.Usage("not confirmed: nothing was changed.");
        }
    }

    public static Argument<Guid[]> IdsArgument(string description) => new("id")
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
    };
}
