namespace Sync.Storage;

/// <summary>
/// What "uninstall forgets" means, in one place for the UNINSTALL event and <c>sync-admin installations remove</c>:
/// the location's installation and tokens, its contact index and freshness records, and its unsent outbox rows are
/// deleted, and its open dead letters are discarded (kept for audit, marked as discarded by the uninstall).
/// </summary>
public sealed class LocationLifecycle(
    IInstallationStore installations,
    IContactIndexStore index,
    IOutboxStore outbox,
    IDeadLetterStore deadLetters)
{
    /// <summary>Forgets <paramref name="locationId"/> inside the caller's unit of work; commits nothing itself.</summary>
    /// <param name="unitOfWork">The transaction the clean-up joins.</param>
    /// <param name="locationId">The location.</param>
    /// <param name="actor">Who asked, for the dead letters' audit trail (e.g. <c>UNINSTALL event</c>, an operator).</param>
    /// <param name="cancellationToken">Cancels the clean-up.</param>
    public async Task<LocationForgotten> ForgetAsync(IUnitOfWork unitOfWork, string locationId, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(unitOfWork);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        await installations.DeleteAsync(unitOfWork, locationId, cancellationToken);
        var indexRows = await index.DeleteLocationAsync(unitOfWork, locationId, cancellationToken);
        var pending = await outbox.DeletePendingAsync(unitOfWork, locationId, cancellationToken);
        var discarded = await deadLetters.DiscardLocationAsync(unitOfWork, locationId, actor, "location uninstalled", cancellationToken);
        return new LocationForgotten(locationId, indexRows, pending, discarded);
    }
}

/// <summary>What an uninstall removed.</summary>
/// <param name="LocationId">The location.</param>
/// <param name="IndexRows">Contact index and freshness rows deleted.</param>
/// <param name="PendingMessages">Unsent outbox rows deleted.</param>
/// <param name="DeadLettersDiscarded">Open dead letters marked discarded.</param>
public sealed record LocationForgotten(string LocationId, int IndexRows, int PendingMessages, int DeadLettersDiscarded);
