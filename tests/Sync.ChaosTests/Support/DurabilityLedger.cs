using System.Globalization;
using System.Text;
using Npgsql;
using Sync.Core;
using Sync.Emitter;

namespace Sync.ChaosTests.Support;

/// <summary>One stream of the load: what was sent, by which source, and whether its events are meant to be accepted.</summary>
/// <param name="Name">The stream's name in the table.</param>
/// <param name="Source">The source name the ingress derives message ids with (<c>crm</c>, <c>hoopai</c>).</param>
/// <param name="Genuine">False for a stream every delivery of which must be refused (forged, unknown location).</param>
/// <param name="Report">The emitter's ledger.</param>
public sealed record LoadStream(string Name, string Source, bool Genuine, EmissionReport Report);

/// <summary>Where one accepted event ended up.</summary>
public enum EventFate
{
    /// <summary>Handled by the webhook consumer, and every tag command it made by the tag consumer.</summary>
    Applied,

    /// <summary>It, or a tag command it made, sits in the dead-letter store.</summary>
    DeadLettered,

    /// <summary>Neither yet: it, or a tag command it made, still waits in a work queue or a wait tier (the run did not settle).</summary>
    StillQueued,

    /// <summary>Neither: lost.</summary>
    Missing,
}

/// <summary>
/// The ledger of a chaos run, by event id: every delivery the emitters made and what it was answered, and for every
/// event answered 2xx, what the database says became of it (the inbox marks of the webhook and tag consumers, the tag
/// commands in the outbox, the dead-letter store). Refused events must have left no trace at all.
/// </summary>
public sealed class DurabilityLedger
{
    private DurabilityLedger() { }

    /// <summary>Deliveries made (retries not counted).</summary>
    public int Deliveries { get; private init; }

    /// <summary>HTTP attempts made, retries included.</summary>
    public int Attempts { get; private init; }

    /// <summary>Attempts per answer class: 2xx, 4xx, 429, 5xx, none.</summary>
    public IReadOnlyDictionary<string, int> AttemptAnswers { get; private init; } = new Dictionary<string, int>();

    /// <summary>Distinct genuine events sent.</summary>
    public int GenuineEvents { get; private init; }

    /// <summary>Distinct events meant to be refused.</summary>
    public int RefusedEvents { get; private init; }

    /// <summary>Genuine events with at least one delivery answered 2xx.</summary>
    public IReadOnlyList<string> Accepted { get; private init; } = [];

    /// <summary>Genuine events never answered 2xx, with their last answers (the sender gave up or was refused).</summary>
    public IReadOnlyList<string> GenuineNotAccepted { get; private init; } = [];

    /// <summary>Events meant to be refused that some delivery got 2xx for.</summary>
    public IReadOnlyList<string> RefusedButAccepted { get; private init; } = [];

    /// <summary>Events meant to be refused that left a trace (inbox, outbox, dead letters).</summary>
    public IReadOnlyList<string> RefusedWithTrace { get; private init; } = [];

    /// <summary>The fate of each accepted event.</summary>
    public IReadOnlyDictionary<string, EventFate> Fates { get; private init; } = new Dictionary<string, EventFate>();

    /// <summary>Accepted events whose tag commands were applied or dead-lettered only in part (the webhook part applied).</summary>
    public IReadOnlySet<string> TagsDeadLettered { get; private init; } = new HashSet<string>();

    /// <summary>Dead letters of the run's events by classification and queue.</summary>
    public IReadOnlyDictionary<string, int> DeadLetterReasons { get; private init; } = new Dictionary<string, int>();

    /// <summary>Dead-letter rows without a classification or a fault message.</summary>
    public int DeadLettersWithoutReason { get; private init; }

    /// <summary>Accepted events neither applied nor dead-lettered.</summary>
    public IReadOnlyList<string> Missing => [.. Fates.Where(f => f.Value == EventFate.Missing).Select(f => f.Key).Order(StringComparer.Ordinal)];

    /// <summary>Accepted events still waiting in a queue when the run ended.</summary>
    public IReadOnlyList<string> StillQueued => [.. Fates.Where(f => f.Value == EventFate.StillQueued).Select(f => f.Key).Order(StringComparer.Ordinal)];

    /// <summary>Accepted events applied.</summary>
    public int Applied => Fates.Count(f => f.Value == EventFate.Applied);

    /// <summary>Accepted events dead-lettered.</summary>
    public int DeadLettered => Fates.Count(f => f.Value == EventFate.DeadLettered);

    /// <summary>Reads the database and settles the ledger.</summary>
    /// <param name="connectionString">The run's database.</param>
    /// <param name="streams">What was sent.</param>
    /// <param name="queued">The event ids of messages still in a work queue or a wait tier.</param>
    public static async Task<DurabilityLedger> ReadAsync(string connectionString, IReadOnlyList<LoadStream> streams, IReadOnlySet<string>? queued = null)
    {
        var db = await DatabaseView.ReadAsync(connectionString);
        var entries = streams.SelectMany(s => s.Report.Entries.Select(e => (Stream: s, Entry: e))).ToList();
        var attempts = entries.SelectMany(x => x.Entry.Attempts.Count > 0 ? x.Entry.Attempts : [x.Entry.Status]).ToList();
        var answers = new Dictionary<string, int>
        {
            ["2xx"] = attempts.Count(s => s is >= 200 and < 300),
            ["4xx"] = attempts.Count(s => s is >= 400 and < 500 and not 429),
            ["429"] = attempts.Count(s => s == 429),
            ["5xx"] = attempts.Count(s => s >= 500),
            ["no answer"] = attempts.Count(s => s == 0),
        };

        var genuine = entries.Where(x => x.Stream.Genuine).GroupBy(x => (x.Stream.Source, x.Entry.Id)).ToList();
        var refused = entries.Where(x => !x.Stream.Genuine).GroupBy(x => (x.Stream.Source, x.Entry.Id)).ToList();
        var accepted = genuine.Where(g => g.Any(x => Is2xx(x.Entry.Status))).Select(g => g.Key).ToList();
        var notAccepted = genuine.Where(g => !g.Any(x => Is2xx(x.Entry.Status)))
            .Select(g => $"{g.Key.Id}: answered [{string.Join(", ", g.Where(x => !x.Entry.BadSignature).SelectMany(x => x.Entry.Attempts))}]").ToList();

        var fates = new Dictionary<string, EventFate>(StringComparer.Ordinal);
        var tagsDead = new HashSet<string>(StringComparer.Ordinal);
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (source, id) in accepted)
        {
            var messageId = DeterministicId.ForWebhook(source, id);
            var handled = db.Inbox.Contains(("webhook-received", messageId));
            var commands = db.TagCommandsByEvent.TryGetValue(id, out var c) ? c : [];
            var commandsHandled = commands.All(m => db.Inbox.Contains(("change-contact-tags", m)));
            var dead = db.DeadLettersByEvent.TryGetValue(id, out var d) ? d : [];
            foreach (var letter in dead)
            {
                var key = $"{letter.Classification} ({letter.Queue})";
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
            }

            if (handled && commandsHandled)
            {
                fates[id] = EventFate.Applied;
            }
            else if (dead.Count > 0 && (handled || dead.Any(l => l.Queue.StartsWith("webhook-received", StringComparison.Ordinal))))
            {
                fates[id] = EventFate.DeadLettered;
                if (handled)
                {
                    tagsDead.Add(id);
                }
            }
            else
            {
                fates[id] = queued?.Contains(id) == true ? EventFate.StillQueued : EventFate.Missing;
            }
        }

        var withTrace = refused.Where(g =>
                db.Inbox.Contains(("webhook-received", DeterministicId.ForWebhook(g.Key.Source, g.Key.Id))) ||
                db.DeadLettersByEvent.ContainsKey(g.Key.Id) || db.OutboxEventIds.Contains(g.Key.Id) || db.TagCommandsByEvent.ContainsKey(g.Key.Id))
            .Select(g => g.Key.Id).ToList();
        return new DurabilityLedger
        {
            Deliveries = entries.Count,
            Attempts = attempts.Count,
            AttemptAnswers = answers,
            GenuineEvents = genuine.Count,
            RefusedEvents = refused.Count,
            Accepted = [.. accepted.Select(a => a.Id)],
            GenuineNotAccepted = notAccepted,
            RefusedButAccepted = [.. refused.Where(g => g.Any(x => Is2xx(x.Entry.Status))).Select(g => g.Key.Id)],
            RefusedWithTrace = withTrace,
            Fates = fates,
            TagsDeadLettered = tagsDead,
            DeadLetterReasons = reasons,
            DeadLettersWithoutReason = db.DeadLetters.Count(l => string.IsNullOrWhiteSpace(l.Classification) || string.IsNullOrWhiteSpace(l.FaultMessage)),
            DeadLettersPerEvent = accepted.Where(a => db.DeadLettersByEvent.ContainsKey(a.Id))
                .ToDictionary(a => a.Id, a => db.DeadLettersByEvent[a.Id].Count, StringComparer.Ordinal),
            AuthenticationDeadLettered = accepted
                .Where(a => db.DeadLettersByEvent.TryGetValue(a.Id, out var letters)
                            && letters.Any(l => string.Equals(l.Classification, "authentication", StringComparison.OrdinalIgnoreCase)))
                .Select(a => a.Id).ToHashSet(StringComparer.Ordinal),
        };
    }

    /// <summary>Per accepted event, how many dead-letter rows it has (a failed replay adds one).</summary>
    public IReadOnlyDictionary<string, int> DeadLettersPerEvent { get; private init; } = new Dictionary<string, int>();

    /// <summary>The accepted events with a dead letter classified <c>authentication</c> (the token was refused).</summary>
    public IReadOnlySet<string> AuthenticationDeadLettered { get; private init; } = new HashSet<string>();

    /// <summary>The ledger as a Markdown table.</summary>
    public string ToTable()
    {
        var table = new StringBuilder();
        table.AppendLine("| ledger | count |");
        table.AppendLine("|---|---:|");
        Row("deliveries sent (duplicates and forged copies included, retries not)", Deliveries);
        Row("HTTP attempts (retries included)", Attempts);
        foreach (var (answer, count) in AttemptAnswers)
        {
            Row($"  attempts answered {answer}", count);
        }

        Row("distinct genuine events", GenuineEvents);
        Row("  answered 2xx (accepted)", Accepted.Count);
        Row("  never answered 2xx (the sender gave up)", GenuineNotAccepted.Count);
        Row("distinct events that must be refused (forged only, unknown location)", RefusedEvents);
        Row("  of them answered 2xx (must be 0)", RefusedButAccepted.Count);
        Row("  of them with a trace in inbox, outbox or dead letters (must be 0)", RefusedWithTrace.Count);
        Row("accepted events applied", Applied);
        Row("accepted events dead-lettered", DeadLettered);
        foreach (var (reason, count) in DeadLetterReasons.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            Row($"  dead letters: {reason}", count);
        }

        Row("dead letters without a reason (must be 0)", DeadLettersWithoutReason);
        Row("accepted events still waiting in a work queue or wait tier after the settle time (must be 0)", StillQueued.Count);
        Row("**missing (must be 0)**", Missing.Count);
        return table.ToString();

        void Row(string what, long count) => table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {count:N0} |"));
    }

    private static bool Is2xx(int status) => status is >= 200 and < 300;

    /// <summary>A dead-letter row.</summary>
    public sealed record DeadLetterRow(string Queue, string MessageId, string Classification, string? FaultMessage, string? EventId);

    private sealed record DatabaseView(
        HashSet<(string Consumer, Guid MessageId)> Inbox,
        Dictionary<string, List<Guid>> TagCommandsByEvent,
        HashSet<string> OutboxEventIds,
        List<DeadLetterRow> DeadLetters,
        Dictionary<string, List<DeadLetterRow>> DeadLettersByEvent)
    {
        public static async Task<DatabaseView> ReadAsync(string connectionString)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            var inbox = new HashSet<(string, Guid)>();
            await using (var command = new NpgsqlCommand("SELECT consumer, message_id FROM sync.inbox", connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    inbox.Add((reader.GetString(0), reader.GetGuid(1)));
                }
            }

            var tagCommands = new Dictionary<string, List<Guid>>(StringComparer.Ordinal);
            var outboxEvents = new HashSet<string>(StringComparer.Ordinal);
            await using (var command = new NpgsqlCommand("SELECT message_id, message_type, body FROM sync.outbox", connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var body = reader.GetString(2);
                    if (JsonText.Find(body, "sourceEventId") is { } source)
                    {
                        if (!tagCommands.TryGetValue(source, out var list))
                        {
                            tagCommands[source] = list = [];
                        }

                        list.Add(reader.GetGuid(0));
                    }
                    else if (JsonText.Find(body, "eventId") is { } eventId)
                    {
                        outboxEvents.Add(eventId);
                    }
                }
            }

            var dead = new List<DeadLetterRow>();
            await using (var command = new NpgsqlCommand("SELECT source_queue, message_id, classification, fault_message, body FROM sync.dead_letters", connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var body = reader.GetString(4);
                    dead.Add(new DeadLetterRow(reader.GetString(0), reader.GetString(1), reader.GetString(2),
                        reader.IsDBNull(3) ? null : reader.GetString(3), JsonText.Find(body, "sourceEventId") ?? JsonText.Find(body, "eventId")));
                }
            }

            var byEvent = dead.Where(d => d.EventId is not null).GroupBy(d => d.EventId!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            return new DatabaseView(inbox, tagCommands, outboxEvents, dead, byEvent);
        }
    }
}
