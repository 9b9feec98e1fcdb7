using MassTransit;
using Microsoft.Extensions.Logging;
using Sync.Contracts;
using Sync.Core;
using Sync.Core.Events;
using Sync.HoopAi.Api;
using Sync.HoopAi.Tokens;
using Sync.Messaging.Outbox;
using Sync.Storage;

namespace Sync.Components.Consumers;

/// <summary>
/// Applies an accepted webhook. Duplicates are dropped through the inbox; the event is normalised; installs and
/// uninstalls drive the installation's lifecycle; the platform's contact events keep the contact index fresh; a source's
/// contact upsert is applied here, in the same hop, in a unit of work shared with the other upserts the process applies
/// at once (<see cref="UpsertBatcher"/>): the inbox mark and the staleness guard (one round trip for the batch),
/// <c>POST /contacts/upsert</c> without tags, then the tag commands (outbox), the index and the commit (one round trip
/// for the batch). Tag changes become
/// <see cref="ChangeContactTags"/> commands, batched by their own consumer.
/// </summary>
public sealed partial class WebhookReceivedConsumer(
    IUnitOfWorkFactory database,
    IInboxStore inbox,
    IOutboxStore outbox,
    IContactIndexStore index,
    IInstallationStore installations,
    UpsertBatcher batcher,
    LocationLifecycle lifecycle,
    IAccessTokenProvider tokens,
    HoopAiClient api,
    CustomFieldCache customFields,
    TimeProvider time,
    ILogger<WebhookReceivedConsumer> logger) : IConsumer<WebhookReceived>
{
    /// <summary>The inbox name of this consumer.</summary>
    public const string InboxName = "webhook-received";

    /// <inheritdoc />
    public async Task Consume(ConsumeContext<WebhookReceived> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var messageId = context.MessageId ?? DeterministicId.ForWebhook(context.Message.Source, context.Message.EventId);
        var cancellationToken = context.CancellationToken;
        // From the broker's delivery to here: deserialising, the receive pipe, and waiting for a free consumer.
        SyncTelemetry.RecordStage(InboxName, "receive", context.ReceiveContext.ElapsedTime);
        var stages = new StageClock(InboxName);

        // No separate inbox read first: each path marks the message processed inside its own transaction, and a
        // message already marked (a redelivery, a duplicate webhook) is dropped there, a round trip sooner.
        var syncEvent = WebhookNormalizer.Normalize(context.Message);
        var outcome = syncEvent switch
        {
            ContactUpsertRequested upsert => await UpsertAsync(messageId, upsert, stages, cancellationToken),
            ContactTagsChangeRequested tags => await ChangeTagsAsync(messageId, tags, cancellationToken),
            ContactDeleteRequested delete => await DeleteAsync(messageId, delete, cancellationToken),
            PlatformContactChanged changed => await IndexAsync(messageId, changed, cancellationToken),
            PlatformContactDeleted deleted => await ForgetContactAsync(messageId, deleted, cancellationToken),
            AppInstalled installed => await InstallAsync(messageId, installed, cancellationToken),
            AppUninstalled uninstalled => await UninstallAsync(messageId, uninstalled, cancellationToken),
            _ => await MarkOnlyAsync(messageId, "ignored", cancellationToken),
        };
        if (outcome == "duplicate")
        {
            LogDuplicate(messageId, context.Message.EventType, context.Message.EventId);
        }
        else
        {
            LogApplied(context.Message.Source, context.Message.EventType, syncEvent.LocationId, context.Message.EventId, outcome);
        }

        CountEvent(outcome);
    }

    private static void CountEvent(string outcome) =>
        SyncTelemetry.Events.Add(1,
            new KeyValuePair<string, object?>("consumer", InboxName),
            new KeyValuePair<string, object?>("result", outcome switch { "duplicate" => "deduplicated", "stale" => "stale", _ => "applied" }));

    private async Task<string> UpsertAsync(Guid messageId, ContactUpsertRequested upsert, StageClock stages, CancellationToken cancellationToken)
    {
        stages.Lap("normalise");
        // Keys are mapped to field ids before the transaction opens (the read may wait for the API); an unknown key
        // fails the event for good, naming the key.
        IReadOnlyDictionary<string, CustomFieldValue>? customFieldIds = null;
        if (upsert.Fields.CustomFields is { Count: > 0 } byKey)
        {
            try
            {
                customFieldIds = await customFields.ResolveAsync(api, upsert.LocationId, byKey, cancellationToken);
            }
            catch (SyncFailureException)
            {
                // Applied before the field's definition went away: a duplicate is still only a duplicate.
                if (await inbox.IsProcessedAsync(InboxName, messageId, cancellationToken))
                {
                    return "duplicate";
                }

                throw;
            }
        }

        stages.Lap("custom-fields");

        // The inbox mark and the guard, with the other upserts this process applies at once (one round trip for the
        // batch). Only the fields no newer event has set are applied (the guard rows stay locked until the batch
        // commits, so concurrent events for one contact apply one after the other); an upsert older than the contact's
        // deletion sets nothing. A duplicate is dropped, guard and all.
        var entry = await batcher.EnterAsync(InboxName, ContactGuard.UpsertMark(messageId, upsert), cancellationToken);
        if (entry.Fresh is not { } advanced)
        {
            return "duplicate";
        }

        stages.Lap("inbox-mark+guard");
        try
        {
            string? contactId = null;
            var outcome = "stale";
            IReadOnlyCollection<ContactKeyEntry> keys = [];
            if (ContactGuard.FreshUpsertOf(upsert, advanced).Fields is { } fresh)
            {
                var values = fresh.CustomFields is { Count: > 0 } freshCustom && customFieldIds is not null
                    ? freshCustom.Keys.Select(key => customFieldIds[key]).ToList()
                    : null;
                var result = await api.UpsertContactAsync(upsert.LocationId, fresh, values, cancellationToken);
                stages.Lap("api");
                contactId = result.Contact.Id;
                keys = MatchKeys.Entries(upsert.Fields.Email, upsert.Fields.Phone, upsert.Fields.ExternalId, contactId);
                outcome = result.Created ? "created" : "updated";
            }

            // Tags have guards of their own: an upsert whose fields are all stale may still add tags no newer event removed.
            IReadOnlyCollection<OutboxMessage> commands = [];
            if (upsert.TagsToAdd.Count > 0)
            {
                var command = new ChangeContactTags(upsert.LocationId,
                    new ContactReference(contactId, upsert.Fields.Email, upsert.Fields.Phone, upsert.Fields.ExternalId),
                    Contracts.TagOperation.Add, upsert.TagsToAdd, upsert.OccurredAt, upsert.EventId);
                commands = [ToOutbox(messageId, command)];
            }

            // The contact's match keys, the tag command and the commit, with the batch (one round trip without commands).
            await entry.CommitAsync(keys, commands);
            stages.Lap("index+commit");
            return outcome;
        }
        finally
        {
            entry.Abandon(); // no-op once handed back; otherwise the batch takes this message's mark and guard back
        }
    }

    private async Task<string> ChangeTagsAsync(Guid messageId, ContactTagsChangeRequested change, CancellationToken cancellationToken)
    {
        var contactId = change.Contact.ContactId ?? await FindContactIdAsync(change.LocationId, change.Contact, cancellationToken);
        var command = new ChangeContactTags(change.LocationId, change.Contact with { ContactId = contactId },
            change.Operation, change.Tags, change.OccurredAt, change.EventId);
        await using var unitOfWork = await database.BeginAsync(cancellationToken);
        if (!await inbox.TryMarkProcessedAsync(unitOfWork, InboxName, messageId, cancellationToken))
        {
            return "duplicate";
        }

        await outbox.EnqueueAsync(unitOfWork, [ToOutbox(messageId, command)], cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return "tags-queued";
    }

    private async Task<string> DeleteAsync(Guid messageId, ContactDeleteRequested delete, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await database.BeginAsync(cancellationToken);
        if (!await inbox.TryMarkProcessedAsync(unitOfWork, InboxName, messageId, cancellationToken))
        {
            return "duplicate";
        }

        if (!await ContactGuard.AdvanceDeleteAsync(index, unitOfWork, delete, cancellationToken))
        {
            await unitOfWork.CommitAsync(cancellationToken);
            return "stale";
        }

        // Looked up only now, under the guard's locks: an upsert of the same contact in flight has committed by now.
        var contactId = await FindContactIdAsync(delete.LocationId, delete.Contact, cancellationToken);
        if (contactId is null && (delete.Contact.Email is not null || delete.Contact.Phone is not null))
        {
            contactId = (await api.FindDuplicateAsync(delete.LocationId, delete.Contact.Email, delete.Contact.Phone, cancellationToken))?.Id;
        }

        if (contactId is null)
        {
            await unitOfWork.CommitAsync(cancellationToken);
            return "already-absent";
        }

        await api.DeleteContactAsync(delete.LocationId, contactId, cancellationToken);
        await index.DeleteContactAsync(unitOfWork, delete.LocationId, contactId, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return "deleted";
    }

    private async Task<string> IndexAsync(Guid messageId, PlatformContactChanged changed, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await database.BeginAsync(cancellationToken);
        if (!await inbox.TryMarkProcessedAsync(unitOfWork, InboxName, messageId, cancellationToken))
        {
            return "duplicate";
        }

        var keys = MatchKeys.Entries(changed.Email, changed.Phone, null, changed.ContactId);
        if (keys.Count > 0)
        {
            await index.UpsertKeysAsync(unitOfWork, changed.LocationId, keys, cancellationToken);
        }

        await unitOfWork.CommitAsync(cancellationToken);
        return "indexed";
    }

    private async Task<string> ForgetContactAsync(Guid messageId, PlatformContactDeleted deleted, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await database.BeginAsync(cancellationToken);
        if (!await inbox.TryMarkProcessedAsync(unitOfWork, InboxName, messageId, cancellationToken))
        {
            return "duplicate";
        }

        await index.DeleteContactAsync(unitOfWork, deleted.LocationId, deleted.ContactId, cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        return "forgotten";
    }

    private async Task<string> InstallAsync(Guid messageId, AppInstalled installed, CancellationToken cancellationToken)
    {
        // Tokens arrive through the OAuth callback; INSTALL records the location (and its company) so its events are
        // accepted. An installation that already exists keeps its tokens.
        var added = await installations.AddIfAbsentAsync(new Installation(installed.LocationId, installed.CompanyId, AuthMode.OAuth,
            InstallationStatus.Active, null, null, null, time.GetUtcNow()), cancellationToken);
        return await MarkOnlyAsync(messageId, added ? "installed" : "already-installed", cancellationToken);
    }

    private async Task<string> UninstallAsync(Guid messageId, AppUninstalled uninstalled, CancellationToken cancellationToken)
    {
        await using var unitOfWork = await database.BeginAsync(cancellationToken);
        if (!await inbox.TryMarkProcessedAsync(unitOfWork, InboxName, messageId, cancellationToken))
        {
            return "duplicate";
        }

        await lifecycle.ForgetAsync(unitOfWork, uninstalled.LocationId, "UNINSTALL event", cancellationToken);
        await unitOfWork.CommitAsync(cancellationToken);
        tokens.Forget(uninstalled.LocationId);
        customFields.Forget(uninstalled.LocationId);
        return "uninstalled";
    }

    private async Task<string> MarkOnlyAsync(Guid messageId, string outcome, CancellationToken cancellationToken) =>
        await inbox.TryMarkProcessedAsync(InboxName, messageId, cancellationToken) ? outcome : "duplicate";

    private async Task<string?> FindContactIdAsync(string locationId, ContactReference contact, CancellationToken cancellationToken)
    {
        var keys = MatchKeys.Of(contact.Email, contact.Phone, contact.ExternalId).ToList();
        if (keys.Count == 0)
        {
            return null;
        }

        var found = await index.FindAsync(locationId, keys, cancellationToken);
        return found.Count == 0 ? null : found[0].ContactId;
    }

    private static OutboxMessage ToOutbox(Guid webhookMessageId, ChangeContactTags command) =>
        OutboxSerializer.ForPublish(command,
            DeterministicId.Create(DeterministicId.WebhookNamespace, $"{webhookMessageId:N}:tags:{command.Operation}"),
            DateTimeOffset.UtcNow) with { LocationId = command.LocationId };

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information,
        Message = "Webhook {Source}/{EventType} location {LocationId} event {EventId}: {Outcome}")]
    private partial void LogApplied(string source, string eventType, string locationId, string eventId, string outcome);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information,
        Message = "Webhook message {MessageId} ({EventType} event {EventId}) was already processed; dropped")]
    private partial void LogDuplicate(Guid messageId, string eventType, string eventId);
}
