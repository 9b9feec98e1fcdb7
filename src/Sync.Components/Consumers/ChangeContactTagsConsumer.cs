using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Contracts;
using Sync.Core;
using Sync.HoopAi.Api;
using Sync.Messaging.Redelivery;
using Sync.Storage;

namespace Sync.Components.Consumers;

/// <summary>
/// Applies tag commands in batches grouped by location: one <c>POST /contacts/bulk/tags/update/{add|remove}</c> per
/// (operation, tag set) with up to <see cref="WorkerOptions.BulkMaxContacts"/> contacts. Contact ids come from the
/// command, else the index, else <c>/contacts/search/duplicate</c>. A change older than its contact's recorded deletion
/// is stale (<see cref="ContactGuard.DeletionsAsync"/>). Per tag, an operation older than what was already applied is
/// skipped, and within a batch the latest operation on a tag wins. The bulk answer is read per contact: a command is
/// retried or dead-lettered only when a call for one of its (contact, tag) pairs failed (its own, or that of the later
/// command that replaced it in the batch); the others complete. The guard's record of a (contact, tag) whose call
/// failed is taken back in the same transaction, so it only ever records what reached the API.
/// </summary>
public sealed partial class ChangeContactTagsConsumer(
    IUnitOfWorkFactory database,
    IInboxStore inbox,
    IContactIndexStore index,
    HoopAiClient api,
    RedeliveryForwarder forwarder,
    IOptions<WorkerOptions> options,
    ILogger<ChangeContactTagsConsumer> logger) : IConsumer<Batch<ChangeContactTags>>
{
    /// <summary>The inbox name of this consumer.</summary>
    public const string InboxName = "change-contact-tags";

    /// <inheritdoc />
    public async Task Consume(ConsumeContext<Batch<ChangeContactTags>> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var cancellationToken = context.CancellationToken;
        foreach (var location in context.Message.GroupBy(m => m.Message.LocationId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            List<ConsumeContext<ChangeContactTags>> batch = [.. location];
            var settled = new HashSet<ConsumeContext<ChangeContactTags>>();
            SyncTelemetry.TagBatchSize.Record(batch.Count);

            // One span per location's batch: it continues the first command's trace (so a one-event batch is in that
            // event's trace) and links to the trace of every event whose commands it carries.
            using var span = SyncTelemetry.ActivitySource.StartActivity(
                "tag batch", System.Diagnostics.ActivityKind.Internal, TraceLinks.ContextOf(batch[0]), links: TraceLinks.Of(batch));
            span?.SetTag("sync.tag_batch.size", batch.Count);
            try
            {
                await ApplyAsync(location.Key, batch, settled, cancellationToken);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                // Something other than an API answer failed (a deadlock, a database or broker fault, a bug): nothing of
                // this location's batch is known to be settled, so each unsettled command goes back on its schedule.
                LogBatchFailed(location.Key, batch.Count - settled.Count, ex.GetType().Name, ex.Message);
                await SettleAllAsync(batch.Where(m => !settled.Contains(m)), ex);
            }
        }
    }

    // Each command back for a later attempt, or dead-lettered when its schedule is used up. When even that cannot be
    // done the whole batch stays in the queue: the consume fails without moving anything.
    private async Task SettleAllAsync(IEnumerable<ConsumeContext<ChangeContactTags>> messages, Exception failure)
    {
        try
        {
            foreach (var message in messages)
            {
                if (!await forwarder.TryDeferAsync(message, failure, canHoldSlot: false))
                {
                    await forwarder.DeadLetterAsync(message, failure);
                }
            }
        }
        catch (Exception move) when (move is not OperationCanceledException)
        {
            throw new RedeliveryFailedException(
                $"A tag batch failed ({failure.Message}) and its commands could not be moved ({move.Message}); they stay in the queue.",
                new AggregateException(move, failure));
        }
    }

    private async Task ApplyAsync(
        string locationId, List<ConsumeContext<ChangeContactTags>> batch, HashSet<ConsumeContext<ChangeContactTags>> settled,
        CancellationToken cancellationToken)
    {
        var items = new List<Item>(batch.Count);
        var seen = new HashSet<Guid>();
        var duplicates = 0;
        foreach (var message in batch)
        {
            var id = message.MessageId ?? throw new InvalidOperationException("A tag command without a message id.");
            if (!seen.Add(id) || await inbox.IsProcessedAsync(InboxName, id, cancellationToken))
            {
                duplicates++;
                continue;
            }

            items.Add(new Item(message, id));
        }

        // A change older than its contact's recorded deletion has nothing left to apply to: stale, before any wait for
        // the contact to appear or call that would find it gone. A change newer than the deletion waits as any other.
        var deletions = await ContactGuard.DeletionsAsync(index, locationId, items.Select(i => i.Message.Contact), cancellationToken);
        var deleted = new List<Item>();
        foreach (var item in items)
        {
            if (ContactGuard.GuardIdOf(item.Message.Contact) is { } guard
                && deletions.TryGetValue(guard, out var deletedAt) && deletedAt > item.Message.OccurredAt)
            {
                LogOlderThanDeletion(locationId, item.MessageId, item.Message.SourceEventId, item.Message.OccurredAt, deletedAt);
                deleted.Add(item);
            }
        }

        items.RemoveAll(deleted.Contains);
        await ResolveContactsAsync(locationId, items, cancellationToken);

        await using var unitOfWork = await database.BeginAsync(cancellationToken);
        foreach (var item in deleted)
        {
            await inbox.TryMarkProcessedAsync(unitOfWork, InboxName, item.MessageId, cancellationToken);
        }

        // Guard each (contact, tag) of the batch once, in one global order — the location (one unit of work each), the
        // contact, the tag — so batches on any number of workers take their locks in the same order and cannot deadlock
        // each other. Per (contact, tag) the batch's latest command is the one guarded and applied: an earlier one is
        // replaced by it (or, when the latest is stale, was stale too).
        var touching = items
            .Where(i => i.ContactId is not null)
            .SelectMany(i => i.Message.Tags.Select(TagChange.NormaliseTag).Distinct(StringComparer.Ordinal).Select(tag => (Item: i, Tag: tag)))
            .GroupBy(e => (Contact: e.Item.ContactId!, e.Tag))
            .OrderBy(g => g.Key.Contact, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Tag, StringComparer.Ordinal)
            .Select(g => (g.Key.Contact, g.Key.Tag, Commands: g.Select(e => e.Item).OrderBy(i => i.Message.OccurredAt).ToList()))
            .ToList();
        var latest = new Dictionary<(string Contact, string Tag), (TagOperation Operation, Item Item)>();
        foreach (var (contact, tag, commands) in touching)
        {
            var last = commands[^1];
            var fresh = await index.TryAdvanceTagsAsync(unitOfWork, locationId, contact,
                [new TagChange(tag, last.Message.Operation)], last.Message.OccurredAt, cancellationToken);
            LogGuarded(contact, last.Message.Operation, tag, last.Message.OccurredAt, string.Join(',', fresh.Select(f => f.Tag)));
            if (fresh.Count > 0)
            {
                latest[(contact, tag)] = (last.Message.Operation, last);
            }
        }

        // Per contact and operation, the tags to apply. The calls are planned per (operation, tag set) or per
        // (operation, tag), whichever needs fewer: contacts with the same set share a call, or each tag gets one call
        // for every contact that needs it.
        var perContact = latest
            .GroupBy(e => (e.Key.Contact, e.Value.Operation))
            .Select(g => (g.Key.Contact, g.Key.Operation, Tags: g.Select(e => e.Key.Tag).Order(StringComparer.Ordinal).ToArray()))
            .ToList();
        var max = options.Value.BulkMaxContacts;
        List<BulkCall> bySet = [.. perContact
            .GroupBy(c => (c.Operation, Set: string.Join('\n', c.Tags)))
            .Select(g => new BulkCall(g.Key.Operation, g.First().Tags, [.. g.Select(c => c.Contact)]))];
        List<BulkCall> byTag = [.. perContact
            .SelectMany(c => c.Tags.Select(tag => (c.Operation, Tag: tag, c.Contact)))
            .GroupBy(x => (x.Operation, x.Tag))
            .Select(g => new BulkCall(g.Key.Operation, [g.Key.Tag], [.. g.Select(x => x.Contact)]))];
        var plan = CallsNeeded(byTag, max) < CallsNeeded(bySet, max) ? byTag : bySet;

        // Failures are kept per (contact, operation, tag): a command is settled by the calls it took part in (one per
        // tag it is the latest operation on), so a call that failed for a contact fails none of its other commands.
        var failures = new Dictionary<(string Contact, TagOperation Operation, string Tag), Exception>();
        var calls = 0;
        foreach (var call in plan)
        {
            foreach (var chunk in call.Contacts.Chunk(max))
            {
                calls++;
                try
                {
                    var result = await api.BulkUpdateTagsAsync(locationId, call.Operation, chunk, call.Tags, cancellationToken);
                    LogCall(call.Operation, string.Join(',', call.Tags), string.Join(',', chunk));
                    foreach (var outcome in result.Outcomes.Where(o => !o.Succeeded))
                    {
                        var retried = call.Tags.Any(tag => latest.TryGetValue((outcome.ContactId, tag), out var last)
                                                           && RedeliveryForwarder.TransientRedeliveriesOf(last.Item.Context) > 0);
                        var failure = ContactFailure(outcome, call, retried);
                        foreach (var tag in call.Tags)
                        {
                            failures[(outcome.ContactId, call.Operation, tag)] = failure;
                        }
                    }
                }
                catch (SyncFailureException ex)
                {
                    foreach (var contact in chunk)
                    {
                        foreach (var tag in call.Tags)
                        {
                            failures[(contact, call.Operation, tag)] = ex;
                        }
                    }
                }
            }
        }

        // The guard records only what reached the API: a (contact, tag) whose call failed gets its record back as it
        // was, so a change older than the failed one, arriving later, is not taken for stale.
        var failed = latest
            .Where(e => failures.ContainsKey((e.Key.Contact, e.Value.Operation, e.Key.Tag)))
            .Select(e => e.Key)
            .ToList();
        foreach (var contact in failed.GroupBy(k => k.Contact, StringComparer.Ordinal))
        {
            await index.RevertTagsAsync(unitOfWork, locationId, contact.Key, [.. contact.Select(k => k.Tag)], cancellationToken);
        }

        int applied = 0, stale = deleted.Count, deferred = 0, deadLettered = 0;
        var applying = latest.Values.Select(v => v.Item).ToHashSet();
        foreach (var item in items)
        {
            // A command fails with a call that failed for a (contact, tag) of its own: the call it took part in, or the
            // call of the later command in this batch that replaced it, which leaves it not applied either.
            var failure = item.Failure ?? FailureOf(item, latest, failures);
            if (failure is null)
            {
                await inbox.TryMarkProcessedAsync(unitOfWork, InboxName, item.MessageId, cancellationToken);
                if (applying.Contains(item))
                {
                    applied++;
                }
                else
                {
                    stale++; // nothing left to apply: stale, or replaced by a later operation in this batch
                }

                continue;
            }

            if (await forwarder.TryDeferAsync(item.Context, failure, canHoldSlot: false))
            {
                deferred++;
            }
            else
            {
                await forwarder.DeadLetterAsync(item.Context, failure);
                deadLettered++;
            }

            settled.Add(item.Context);
        }

        await unitOfWork.CommitAsync(cancellationToken);
        settled.UnionWith(batch);
        LogBatch(locationId, batch.Count, calls, applied, stale, duplicates, deferred, deadLettered);
        CountEvents("applied", applied);
        CountEvents("stale", stale);
        CountEvents("deduplicated", duplicates);
    }

    private static Exception? FailureOf(
        Item item,
        Dictionary<(string Contact, string Tag), (TagOperation Operation, Item Item)> latest,
        Dictionary<(string Contact, TagOperation Operation, string Tag), Exception> failures)
    {
        if (item.ContactId is null)
        {
            return null;
        }

        foreach (var tag in item.Message.Tags.Select(TagChange.NormaliseTag).Distinct(StringComparer.Ordinal))
        {
            var key = (item.ContactId, tag);
            if (!latest.TryGetValue(key, out var last)
                || !failures.TryGetValue((item.ContactId, last.Operation, tag), out var failure))
            {
                continue;
            }

            return ReferenceEquals(last.Item, item) || failure is not SyncFailureException sync
                ? failure
                : new SyncFailureException(sync.Kind,
                    $"Replaced in its batch by event {last.Item.Message.SourceEventId}, whose call failed: {sync.Message}", sync.RetryAfter, sync);
        }

        return null;
    }

    private async Task ResolveContactsAsync(string locationId, List<Item> items, CancellationToken cancellationToken)
    {
        var unresolved = items.Where(i => i.ContactId is null).ToList();
        if (unresolved.Count == 0)
        {
            return;
        }

        var keys = unresolved.SelectMany(i => KeysOf(i.Message.Contact)).Distinct().ToList();
        var found = keys.Count == 0 ? [] : await index.FindAsync(locationId, keys, cancellationToken);
        var byKey = found.GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.First().ContactId);
        var learned = new List<ContactKeyEntry>();
        foreach (var item in unresolved)
        {
            item.ContactId = KeysOf(item.Message.Contact).Select(k => byKey.GetValueOrDefault(k)).FirstOrDefault(id => id is not null);
            if (item.ContactId is not null)
            {
                continue;
            }

            var contact = item.Message.Contact;
            if (contact.Email is null && contact.Phone is null)
            {
                item.Failure = new SyncFailureException(FailureKind.Waiting,
                    $"No contact is known for external id {contact.ExternalId} in location {locationId} yet.");
                continue;
            }

            try
            {
                var match = await api.FindDuplicateAsync(locationId, contact.Email, contact.Phone, cancellationToken);
                if (match is null)
                {
                    item.Failure = new SyncFailureException(FailureKind.Waiting,
                        $"No contact matches {(contact.Email is null ? "the phone" : "the email")} in location {locationId} yet.");
                    continue;
                }

                item.ContactId = match.Id;
                learned.AddRange(KeysOf(contact).Select(k => new ContactKeyEntry(k, match.Id)));
                foreach (var key in KeysOf(contact))
                {
                    byKey[key] = match.Id;
                }
            }
            catch (SyncFailureException ex)
            {
                item.Failure = ex;
            }
        }

        if (learned.Count > 0)
        {
            await using var unitOfWork = await database.BeginAsync(cancellationToken);
            await index.UpsertKeysAsync(unitOfWork, locationId, learned, cancellationToken);
            await unitOfWork.CommitAsync(cancellationToken);
        }
    }

    private static IEnumerable<ContactKey> KeysOf(ContactReference contact) =>
        MatchKeys.Of(contact.Email, contact.Phone, contact.ExternalId);

    // A contact the API refused inside a bulk call. One that belongs elsewhere, or a tag it calls invalid, will not get
    // better. One it does not find may have been deleted a moment ago by an event whose deletion cannot commit before
    // this batch does (it removes the tag records this batch holds): tried once more after a transient wait, the command
    // reads the deletion first and is skipped as stale; not found again, the contact is gone without any event.
    private static SyncFailureException ContactFailure(BulkTagOutcome outcome, BulkCall call, bool retried)
    {
        var message = outcome.Message ?? "the bulk call failed for this contact";
        var permanent = message.Contains("location", StringComparison.OrdinalIgnoreCase)
                        || message.Contains("invalid", StringComparison.OrdinalIgnoreCase)
                        || (retried && message.Contains("not found", StringComparison.OrdinalIgnoreCase));
        return new SyncFailureException(permanent ? FailureKind.Permanent : FailureKind.Transient,
            $"Bulk tag {call.Operation.ToString().ToLowerInvariant()} [{string.Join(',', call.Tags)}] failed for contact {outcome.ContactId}: {message}");
    }

    private static int CallsNeeded(List<BulkCall> plan, int max) => plan.Sum(c => (c.Contacts.Length + max - 1) / max);

    private static void CountEvents(string result, int count)
    {
        if (count > 0)
        {
            SyncTelemetry.Events.Add(count, new KeyValuePair<string, object?>("consumer", InboxName), new KeyValuePair<string, object?>("result", result));
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information,
        Message = "Tag batch location {LocationId}: {Messages} commands, {Calls} bulk calls; {Applied} applied, {Stale} stale, {Duplicates} duplicates, {Deferred} deferred, {DeadLettered} dead-lettered")]
    private partial void LogBatch(string locationId, int messages, int calls, int applied, int stale, int duplicates, int deferred, int deadLettered);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning,
        Message = "Tag batch location {LocationId} failed ({ExceptionType}: {Reason}); its {Unsettled} unsettled commands go back on their schedule")]
    private partial void LogBatchFailed(string locationId, int unsettled, string exceptionType, string reason);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Information,
        Message = "Tag command {MessageId} (event {SourceEventId}) of location {LocationId} at {OccurredAt:O} is older than its contact's deletion at {DeletedAt:O}: stale, dropped")]
    private partial void LogOlderThanDeletion(string locationId, Guid messageId, string sourceEventId, DateTimeOffset occurredAt, DateTimeOffset deletedAt);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Debug, Message = "Tag guard contact {ContactId} {Operation} [{Tags}] at {OccurredAt:O}: fresh [{Fresh}]")]
    private partial void LogGuarded(string contactId, TagOperation operation, string tags, DateTimeOffset occurredAt, string fresh);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "Bulk {Operation} [{Tags}] for contacts {Contacts}")]
    private partial void LogCall(TagOperation operation, string tags, string contacts);

    private sealed record BulkCall(TagOperation Operation, string[] Tags, string[] Contacts);

    private sealed class Item(ConsumeContext<ChangeContactTags> context, Guid messageId)
    {
        public ConsumeContext<ChangeContactTags> Context { get; } = context;

        public ChangeContactTags Message => Context.Message;

        public Guid MessageId { get; } = messageId;

        public string? ContactId { get; set; } = context.Message.Contact.ContactId;

        public Exception? Failure { get; set; }
    }
}
