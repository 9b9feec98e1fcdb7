using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.HoopAi.Api;
using Sync.Storage;

namespace Sync.Components.Reconcile;

/// <summary>How one reconcile run is asked for.</summary>
/// <param name="LocationId">The location.</param>
/// <param name="Owner">Who runs it (names the lease holder: host and process).</param>
/// <param name="DueIfFinishedBefore">Run only when the last run finished at or before this (<see cref="DateTimeOffset.MaxValue"/>: now, whatever ran before).</param>
/// <param name="BudgetShare">The share of the budget to use; null: <see cref="ReconcileOptions.BudgetShare"/>.</param>
/// <param name="DryRun">Work out what would change, change nothing.</param>
public sealed record ReconcileRequest(string LocationId, string Owner, DateTimeOffset DueIfFinishedBefore, double? BudgetShare = null, bool DryRun = false);

/// <summary>What a reconcile run changed (or, for a dry run, would change).</summary>
/// <param name="LocationId">The location.</param>
/// <param name="Counts">How many of each.</param>
/// <param name="AddedKeys">Keys added, or pointed at another contact.</param>
/// <param name="RemovedKeys">Keys removed: no longer the contact's in the CRM.</param>
/// <param name="RemovedContacts">Contacts forgotten: no longer in the CRM.</param>
/// <param name="DryRun">True when nothing was changed.</param>
public sealed record ReconcileResult(
    string LocationId,
    ReconcileCounts Counts,
    IReadOnlyList<ContactKeyEntry> AddedKeys,
    IReadOnlyList<ContactKeyEntry> RemovedKeys,
    IReadOnlyList<string> RemovedContacts,
    bool DryRun);

/// <summary>
/// Rebuilds a location's contact index from the CRM: pages through every contact (<c>POST /contacts/search</c> at
/// <see cref="ReconcileOptions.BudgetShare"/> of the budget), then adds the email and phone keys lost platform events never
/// told, removes keys that no longer belong to their contact, and forgets contacts that no longer exist (keys and
/// freshness records). The freshness records of contacts that exist are kept, so the staleness guard still holds; external-id
/// keys, which the CRM does not know, are kept for contacts that exist. Rows written within
/// <see cref="ReconcileOptions.SettleTime"/> of the start are left alone (the search lags writes; live traffic writes while
/// the run reads). One run at a time per location, across processes: a lease in the database, renewed while reading.
/// </summary>
public sealed partial class ContactReconciler(
    HoopAiClient client,
    IContactIndexStore index,
    IUnitOfWorkFactory unitsOfWork,
    IReconcileRunStore runs,
    IOptions<ReconcileOptions> options,
    TimeProvider time,
    ILogger<ContactReconciler> logger)
{
    private const int WriteBatch = 500;

    /// <summary>Runs a reconcile when the location's lease is free and the run is due; null when it is not.</summary>
    public async Task<ReconcileResult?> TryRunAsync(ReconcileRequest request, CancellationToken cancellationToken, IProgress<ContactReadProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        if (!await runs.TryAcquireAsync(request.LocationId, request.Owner, settings.Lease, request.DueIfFinishedBefore, cancellationToken))
        {
            return null;
        }

        try
        {
            var result = await RunAsync(request, settings, progress, cancellationToken);
            await runs.FinishAsync(request.LocationId, request.Owner, result.Counts, null, CancellationToken.None);
            LogReconciled(request.LocationId, result.Counts.ContactsSeen, result.Counts.KeysAdded, result.Counts.KeysRemoved, result.Counts.ContactsRemoved,
                result.DryRun ? " (dry run: nothing changed)" : "");
            return result;
        }
        catch (Exception ex)
        {
            await runs.FinishAsync(request.LocationId, request.Owner, new ReconcileCounts(0, 0, 0, 0), ex.Message, CancellationToken.None);
            throw;
        }
    }

    private async Task<ReconcileResult> RunAsync(ReconcileRequest request, ReconcileOptions settings, IProgress<ContactReadProgress>? progress, CancellationToken cancellationToken)
    {
        var location = request.LocationId;
        var before = time.GetUtcNow() - settings.SettleTime;

        // What the CRM holds: each contact and the email and phone it is matched by.
        var existing = new HashSet<string>(StringComparer.Ordinal);
        var wanted = new Dictionary<ContactKey, string>();
        var lastRenewal = time.GetUtcNow();
        var paging = new ContactPagingOptions { PageSize = settings.PageSize, BudgetShare = request.BudgetShare ?? settings.BudgetShare };
        await foreach (var page in client.ReadContactPagesAsync(location, paging, cancellationToken))
        {
            foreach (var contact in page.Contacts)
            {
                var id = contact.Contact.Id;
                existing.Add(id);
                if (KeyOf(ContactKeyKind.Email, contact.Contact.Email) is { } email)
                {
                    wanted[email] = id;
                }

                if (KeyOf(ContactKeyKind.Phone, contact.Contact.Phone) is { } phone)
                {
                    wanted[phone] = id;
                }
            }

            progress?.Report(new ContactReadProgress(existing.Count, page.Total));
            if (time.GetUtcNow() - lastRenewal > settings.Lease / 3)
            {
                if (!await runs.RenewAsync(location, request.Owner, settings.Lease, cancellationToken))
                {
                    throw new InvalidOperationException($"The reconcile lease of location {location} ran out while reading; another run may have taken it.");
                }

                lastRenewal = time.GetUtcNow();
            }
        }

        // What the index holds, and the difference.
        var keys = await index.ListKeysAsync(location, cancellationToken);
        var versions = await index.ListContactVersionsAsync(location, cancellationToken);
        var indexed = keys.ToDictionary(k => k.Key);
        var added = wanted
            .Where(w => indexed.TryGetValue(w.Key, out var row) ? row.ContactId != w.Value && row.UpdatedAt < before : true)
            .Select(w => new ContactKeyEntry(w.Key, w.Value))
            .OrderBy(e => e.ContactId, StringComparer.Ordinal).ThenBy(e => e.Key.ToString(), StringComparer.Ordinal)
            .ToList();
        var removedKeys = keys
            .Where(k => k.Key.Kind != ContactKeyKind.ExternalId && existing.Contains(k.ContactId) && !wanted.ContainsKey(k.Key) && k.UpdatedAt < before)
            .Select(k => new ContactKeyEntry(k.Key, k.ContactId))
            .ToList();
        var keyed = keys.Select(k => k.ContactId).ToHashSet(StringComparer.Ordinal);
        var gone = keys.GroupBy(k => k.ContactId, StringComparer.Ordinal)
            .Where(g => !existing.Contains(g.Key) && g.All(k => k.UpdatedAt < before))
            .Select(g => g.Key)
            .Concat(versions.Where(v => !existing.Contains(v.ContactId) && v.LastOccurredAt < before && !keyed.Contains(v.ContactId)).Select(v => v.ContactId))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();

        if (!request.DryRun)
        {
            foreach (var batch in added.Chunk(WriteBatch))
            {
                await using var unitOfWork = await unitsOfWork.BeginAsync(cancellationToken);
                await index.UpsertKeysAsync(unitOfWork, location, batch, cancellationToken);
                await unitOfWork.CommitAsync(cancellationToken);
            }

            foreach (var batch in removedKeys.Chunk(WriteBatch))
            {
                await using var unitOfWork = await unitsOfWork.BeginAsync(cancellationToken);
                await index.DeleteKeysAsync(unitOfWork, location, batch, before, cancellationToken);
                await unitOfWork.CommitAsync(cancellationToken);
            }

            foreach (var batch in gone.Chunk(WriteBatch))
            {
                await using var unitOfWork = await unitsOfWork.BeginAsync(cancellationToken);
                await index.DeleteContactsAsync(unitOfWork, location, batch, before, cancellationToken);
                await unitOfWork.CommitAsync(cancellationToken);
            }
        }

        return new ReconcileResult(location, new ReconcileCounts(existing.Count, added.Count, removedKeys.Count, gone.Count), added, removedKeys, gone, request.DryRun);
    }

    private static ContactKey? KeyOf(ContactKeyKind kind, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        try
        {
            return ContactKey.Create(kind, value);
        }
        catch (ArgumentException)
        {
            // Nothing left after normalising, or too long to index: such a value matches nothing.
            return null;
        }
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information,
        Message = "Reconciled location {LocationId}: {ContactsSeen} contacts in the CRM; {KeysAdded} keys added, {KeysRemoved} keys removed, {ContactsRemoved} vanished contacts forgotten{DryRun}")]
    private partial void LogReconciled(string locationId, int contactsSeen, int keysAdded, int keysRemoved, int contactsRemoved, string dryRun);
}
