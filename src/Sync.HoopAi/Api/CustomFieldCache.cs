using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.Core;

namespace Sync.HoopAi.Api;

/// <summary>
/// Maps custom field keys to field ids per location, from <c>GET /locations/{locationId}/customFields</c>. The
/// definitions of a location are kept for <see cref="HoopAiOptions.CustomFieldsCacheTtl"/>; a key not among them makes
/// the definitions be read once more at once (a field just defined is found); a key still unknown then is a permanent
/// failure naming it. One read per location at a time: callers that need it meanwhile wait for the same answer.
/// One per process.
/// </summary>
public sealed partial class CustomFieldCache
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<Entry>> _reads = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger<CustomFieldCache> _logger;
    private readonly TimeSpan _ttl;

    /// <summary>Creates the cache.</summary>
    public CustomFieldCache(IOptions<HoopAiOptions> options, TimeProvider time, ILogger<CustomFieldCache> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _ttl = options.Value.CustomFieldsCacheTtl;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// The values of <paramref name="values"/> (by key, as <see cref="Core.Events.CustomFieldKeys.Normalize"/> keeps
    /// them) with their field ids, by key. Throws a permanent <see cref="SyncFailureException"/> naming every key the location does not
    /// define; API failures propagate as the client raised them.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, CustomFieldValue>> ResolveAsync(
        HoopAiClient api, string locationId, IReadOnlyDictionary<string, JsonElement> values, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return new Dictionary<string, CustomFieldValue>();
        }

        var entry = Current(locationId);
        var readNow = false;
        if (entry is null || _time.GetUtcNow() - entry.ReadAt >= _ttl)
        {
            entry = await ReadAsync(api, locationId, entry, cancellationToken);
            readNow = true;
        }

        if (!readNow && values.Keys.Any(key => !entry.IdsByKey.ContainsKey(key)))
        {
            entry = await ReadAsync(api, locationId, entry, cancellationToken);
        }

        var unknown = values.Keys.Where(key => !entry.IdsByKey.ContainsKey(key)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new SyncFailureException(FailureKind.Permanent,
                $"Custom field {(unknown.Count == 1 ? "key" : "keys")} {string.Join(", ", unknown.Select(k => $"'{k}'"))} " +
                $"{(unknown.Count == 1 ? "is" : "are")} not defined in location {locationId} " +
                $"(its {entry.Count} contact fields: GET /locations/{locationId}/customFields); define the field or correct the key, then replay.");
        }

        return values.ToDictionary(pair => pair.Key, pair => new CustomFieldValue(entry.IdsByKey[pair.Key], pair.Value), StringComparer.Ordinal);
    }

    /// <summary>Forgets a location's definitions (it was uninstalled).</summary>
    public void Forget(string locationId)
    {
        lock (_gate)
        {
            _entries.Remove(locationId);
        }
    }

    private Entry? Current(string locationId)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(locationId);
        }
    }

    /// <summary>Reads the definitions unless a read newer than <paramref name="seen"/> has finished or is under way.</summary>
    private async Task<Entry> ReadAsync(HoopAiClient api, string locationId, Entry? seen, CancellationToken cancellationToken)
    {
        Task<Entry> read;
        lock (_gate)
        {
            if (_entries.TryGetValue(locationId, out var current) && !ReferenceEquals(current, seen)
                && _time.GetUtcNow() - current.ReadAt < _ttl)
            {
                return current;
            }

            if (!_reads.TryGetValue(locationId, out read!))
            {
                // Not bound to one caller's cancellation: every caller waiting for it would fail with it.
                read = FetchAsync(api, locationId);
                _reads[locationId] = read;
            }
        }

        return await read.WaitAsync(cancellationToken);
    }

    private async Task<Entry> FetchAsync(HoopAiClient api, string locationId)
    {
        await Task.Yield();
        try
        {
            var definitions = await api.GetCustomFieldsAsync(locationId, CancellationToken.None);
            var ids = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var definition in definitions)
            {
                if (Core.Events.CustomFieldKeys.Normalize(definition.FieldKey) is { } key)
                {
                    ids.TryAdd(key, definition.Id);
                }

                // A field may also be named by its id (as an export lists values); keys arrive lowercased.
                ids.TryAdd(definition.Id.ToLowerInvariant(), definition.Id);
            }

            var entry = new Entry(ids, _time.GetUtcNow());
            lock (_gate)
            {
                _entries[locationId] = entry;
            }

            LogRead(locationId, entry.Count);
            return entry;
        }
        finally
        {
            lock (_gate)
            {
                _reads.Remove(locationId);
            }
        }
    }

    [LoggerMessage(EventId = 3401, Level = LogLevel.Debug, Message = "Read the custom field definitions of location {LocationId}: {Count} contact fields")]
    private partial void LogRead(string locationId, int count);

    private sealed record Entry(IReadOnlyDictionary<string, string> IdsByKey, DateTimeOffset ReadAt)
    {
        /// <summary>Fields defined (each is listed under its key and its id).</summary>
        public int Count => IdsByKey.Values.Distinct(StringComparer.Ordinal).Count();
    }
}
