using Sync.Core;

namespace Sync.HoopAi.Api;

/// <summary>
/// Holds a reserved <see cref="ApiSlot"/> for the work of one message: the first call of the slot's location made in
/// the scope (<see cref="SharedRateLimiter"/>) uses it instead of reserving a slot of its own. Flows with the async
/// context, like an ambient transaction.
/// </summary>
public static class ApiSlotScope
{
    private static readonly AsyncLocal<Holder?> Current = new();

    /// <summary>Holds <paramref name="slot"/> until the returned scope is disposed (or the slot is used).</summary>
    public static IDisposable Hold(ApiSlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        var previous = Current.Value;
        Current.Value = new Holder { Slot = slot };
        return new Release(previous);
    }

    /// <summary>
    /// Takes the slot held for <paramref name="locationId"/>, once; false when none is held for it, or it passed more
    /// than <paramref name="maxAge"/> ago (a message that came back late reserves afresh rather than crowd the schedule; the
    /// slot is counted in <see cref="SyncTelemetry.ApiSlotsMissed"/>).
    /// </summary>
    internal static bool TryTake(string locationId, DateTimeOffset now, TimeSpan maxAge, out DateTimeOffset at)
    {
        at = default;
        var holder = Current.Value;
        if (holder?.Slot is not { } slot || !string.Equals(slot.LocationId, locationId, StringComparison.Ordinal))
        {
            return false;
        }

        holder.Slot = null;
        if (now - slot.At > maxAge)
        {
            SyncTelemetry.ApiSlotsMissed.Add(1);
            return false;
        }

        at = slot.At;
        return true;
    }

    private sealed class Holder
    {
        public ApiSlot? Slot { get; set; }
    }

    private sealed class Release(Holder? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
