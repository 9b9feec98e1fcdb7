using Microsoft.Extensions.Options;

namespace Sync.Ingress.Internal;

/// <summary>
/// The message ids this process accepted lately, oldest forgotten first once <see cref="IngressOptions.RecentEventCapacity"/>
/// is reached. A delivery whose id is here was already handed over: it is answered 200 <c>duplicate</c> without a second
/// publish. This saves the broker and the worker a copy; it is not the guarantee (other processes, a restart, an evicted
/// id): the worker's inbox is.
/// </summary>
internal sealed class RecentEvents(IOptions<IngressOptions> options)
{
    private readonly object _gate = new();
    private readonly HashSet<Guid> _ids = [];
    private readonly Queue<Guid> _order = new();
    private readonly int _capacity = options.Value.RecentEventCapacity;

    /// <summary>True when <paramref name="messageId"/> was accepted by this process and not yet forgotten.</summary>
    public bool Contains(Guid messageId)
    {
        lock (_gate)
        {
            return _ids.Contains(messageId);
        }
    }

    /// <summary>Remembers an accepted message id, forgetting the oldest when full.</summary>
    public void Add(Guid messageId)
    {
        lock (_gate)
        {
            if (!_ids.Add(messageId))
            {
                return;
            }

            _order.Enqueue(messageId);
            while (_order.Count > _capacity)
            {
                _ids.Remove(_order.Dequeue());
            }
        }
    }
}
