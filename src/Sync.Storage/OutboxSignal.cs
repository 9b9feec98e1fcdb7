namespace Sync.Storage;

/// <summary>
/// Tells this process's outbox relay that rows were just committed, so it claims them now instead of at its next
/// poll. A unit of work that enqueued outbox rows notifies once its commit succeeds. Notifications coalesce: one waiter
/// wakes per notification, and a notification with nobody waiting is kept for the next one. Rows written by other
/// processes are still found by the relay's poll.
/// </summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _pending = new(0, 1);

    /// <summary>Rows were committed to the outbox.</summary>
    public void Notify()
    {
        try
        {
            if (_pending.CurrentCount == 0)
            {
                _pending.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Another notification got there first: one is enough.
        }
        catch (ObjectDisposedException)
        {
            // The process is stopping.
        }
    }

    /// <summary>Waits until rows are committed or <paramref name="timeout"/> passes; true when notified.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pending.WaitAsync(timeout, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _pending.Dispose();
}
