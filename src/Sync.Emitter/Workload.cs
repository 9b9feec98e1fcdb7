using System.Globalization;

namespace Sync.Emitter;

/// <summary>The shape of a generated workload. Same options and seed give the same events.</summary>
public sealed class WorkloadOptions
{
    /// <summary>Number of locations (ignored when <see cref="LocationIds"/> is given). Default 3.</summary>
    public int Locations { get; set; } = 3;

    /// <summary>The location ids to use; generated from the seed when empty.</summary>
    public IReadOnlyList<string> LocationIds { get; set; } = [];

    /// <summary>Distinct contacts per location. Default 100.</summary>
    public int ContactsPerLocation { get; set; } = 100;

    /// <summary>Number of events. Default 1,000.</summary>
    public int Events { get; set; } = 1_000;

    /// <summary>Size of the tag vocabulary (<c>tag-00</c>, <c>tag-01</c>, ...). Default 12.</summary>
    public int TagVocabulary { get; set; } = 12;

    /// <summary>Weight of upserts among events on existing contacts. Default 40.</summary>
    public int UpsertWeight { get; set; } = 40;

    /// <summary>Weight of tag additions. Default 35.</summary>
    public int TagsAddedWeight { get; set; } = 35;

    /// <summary>Weight of tag removals. Default 20.</summary>
    public int TagsRemovedWeight { get; set; } = 20;

    /// <summary>Weight of deletions. Default 5.</summary>
    public int DeletedWeight { get; set; } = 5;

    /// <summary>Random seed. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Prefix of event ids, so runs against one ingress never share ids; random when null.</summary>
    public string? RunId { get; set; }

    /// <summary><c>occurredAt</c> of the first event; now when null.</summary>
    public DateTimeOffset? Start { get; set; }

    /// <summary>Time between consecutive events' <c>occurredAt</c>. Default 1 ms.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(1);
}

/// <summary>
/// Generates a realistic source workload: contacts spread over locations, each first upserted, then updated,
/// tagged, untagged and sometimes deleted (nothing follows a delete). Events carry strictly increasing
/// <c>occurredAt</c> in generation order, which is the truth the expected state is folded from.
/// </summary>
public static class WorkloadGenerator
{
    private static readonly string[] FirstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Niklaus"];
    private static readonly string[] LastNames = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Wirth"];
    private static readonly string[] Companies = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"];

    /// <summary>Generates the source events of a workload.</summary>
    public static IReadOnlyList<SourceEvent> Generate(WorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ContactsPerLocation);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Events);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.TagVocabulary);
        var random = new Random(options.Seed);
        var locations = options.LocationIds.Count > 0 ? options.LocationIds : LocationIds(options.Locations, options.Seed);
        var runId = options.RunId ?? Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..12];
        var start = options.Start ?? DateTimeOffset.UtcNow;
        var tags = Enumerable.Range(0, options.TagVocabulary).Select(i => $"tag-{i:00}").ToArray();
        var contacts = new Dictionary<(int Location, int Contact), HashSet<string>?>();
        var deleted = new HashSet<(int, int)>();
        var events = new List<SourceEvent>(options.Events);
        var totalWeight = options.UpsertWeight + options.TagsAddedWeight + options.TagsRemovedWeight + options.DeletedWeight;
        if (totalWeight <= 0)
        {
            throw new ArgumentException("At least one event weight must be positive.", nameof(options));
        }

        var attempts = 0;
        while (events.Count < options.Events)
        {
            if (++attempts > options.Events * 50)
            {
                break; // every contact deleted: nothing left to say
            }

            var location = random.Next(locations.Count);
            var index = random.Next(options.ContactsPerLocation);
            var key = (location, index);
            if (deleted.Contains(key))
            {
                continue;
            }

            var id = $"evt_{runId}_{events.Count:D7}";
            var at = start + (options.Interval * events.Count);
            var locationId = locations[location];
            var contact = Identity(locationId, location, index);
            if (!contacts.TryGetValue(key, out var current))
            {
                // A contact's first event creates it.
                var initialTags = random.Next(4) == 0 ? Pick(random, tags, 1, 2) : null;
                contacts[key] = [.. initialTags ?? []];
                events.Add(new SourceEvent(SourceEventTypes.Upserted, id, at, locationId, WithFields(contact, random), initialTags));
                continue;
            }

            current ??= [];
            var roll = random.Next(totalWeight);
            if ((roll -= options.UpsertWeight) < 0)
            {
                events.Add(new SourceEvent(SourceEventTypes.Upserted, id, at, locationId, WithFields(contact, random), null));
            }
            else if ((roll -= options.TagsAddedWeight) < 0)
            {
                var added = Pick(random, tags, 1, 3);
                current.UnionWith(added);
                events.Add(new SourceEvent(SourceEventTypes.TagsAdded, id, at, locationId, contact, added));
            }
            else if ((roll -= options.TagsRemovedWeight) < 0)
            {
                // Mostly tags the contact has, sometimes one it does not (a harmless no-op).
                var removed = current.Count > 0 && random.Next(5) > 0
                    ? [current.ElementAt(random.Next(current.Count))]
                    : Pick(random, tags, 1, 1);
                current.ExceptWith(removed);
                events.Add(new SourceEvent(SourceEventTypes.TagsRemoved, id, at, locationId, contact, removed));
            }
            else
            {
                deleted.Add(key);
                events.Add(new SourceEvent(SourceEventTypes.Deleted, id, at, locationId, contact, null));
            }
        }

        return events;
    }

    /// <summary>
    /// The platform events the CRM would raise for a source workload (<c>ContactCreate</c>, <c>ContactUpdate</c>,
    /// <c>ContactTagUpdate</c> with the contact's whole tag list, <c>ContactDelete</c>), preceded by an
    /// <c>INSTALL</c> per location when <paramref name="withInstalls"/> is set; every one names <paramref name="appId"/>.
    /// </summary>
    public static IReadOnlyList<PlatformEvent> ToPlatformEvents(
        IReadOnlyList<SourceEvent> events, bool withInstalls = true, string companyId = "SandboxCompany000001", string appId = PlatformEvent.DefaultAppId)
    {
        ArgumentNullException.ThrowIfNull(events);
        var result = new List<PlatformEvent>(events.Count + 8);
        var first = events.Count > 0 ? events[0].OccurredAt : DateTimeOffset.UtcNow;
        if (withInstalls)
        {
            foreach (var location in events.Select(e => e.LocationId).Distinct(StringComparer.Ordinal))
            {
                result.Add(PlatformEvent.Install($"wh_install_{location}_{first.ToUnixTimeMilliseconds()}", location, companyId, first, appId));
            }
        }

        var known = new Dictionary<(string, string), (string Id, SortedSet<string> Tags, DateTimeOffset Added)>();
        foreach (var e in events)
        {
            var key = (e.LocationId, e.ContactKey);
            var isNew = !known.TryGetValue(key, out var contact);
            if (isNew)
            {
                contact = (StableId(e.LocationId + "/" + e.ContactKey), new SortedSet<string>(StringComparer.Ordinal), e.OccurredAt);
                known[key] = contact;
            }

            string type;
            switch (e.Type)
            {
                case SourceEventTypes.Upserted:
                    contact.Tags.UnionWith(e.Tags ?? []);
                    type = isNew ? "ContactCreate" : "ContactUpdate";
                    break;
                case SourceEventTypes.TagsAdded:
                    contact.Tags.UnionWith(e.Tags ?? []);
                    type = "ContactTagUpdate";
                    break;
                case SourceEventTypes.TagsRemoved:
                    contact.Tags.ExceptWith(e.Tags ?? []);
                    type = "ContactTagUpdate";
                    break;
                default:
                    known.Remove(key);
                    type = "ContactDelete";
                    break;
            }

            result.Add(PlatformEvent.ContactEvent(type, "wh_" + e.Id, e.LocationId, e.OccurredAt, contact.Id,
                e.Contact.Email, e.Contact.Phone, e.Contact.FirstName, e.Contact.LastName, [.. contact.Tags], contact.Added, appId));
        }

        return result;
    }

    /// <summary>Platform-like location ids (20 alphanumeric characters) derived from a seed.</summary>
    public static IReadOnlyList<string> LocationIds(int count, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return [.. Enumerable.Range(0, count).Select(i => StableId(string.Create(CultureInfo.InvariantCulture, $"location/{seed}/{i}")))];
    }

    private static SourceContact Identity(string locationId, int location, int index) => new()
    {
        Email = string.Create(CultureInfo.InvariantCulture, $"contact{index:D5}.l{location}@example.com"),
        Phone = string.Create(CultureInfo.InvariantCulture, $"+1555{location % 100:D2}{index:D5}"),
        ExternalId = string.Create(CultureInfo.InvariantCulture, $"ext-{locationId[..Math.Min(6, locationId.Length)]}-{index:D5}"),
    };

    private static SourceContact WithFields(SourceContact identity, Random random) => identity with
    {
        FirstName = FirstNames[random.Next(FirstNames.Length)],
        LastName = LastNames[random.Next(LastNames.Length)],
        CompanyName = random.Next(3) == 0 ? Companies[random.Next(Companies.Length)] : null,
    };

    private static string[] Pick(Random random, string[] tags, int min, int max)
    {
        var count = random.Next(min, max + 1);
        var picked = new HashSet<string>(StringComparer.Ordinal);
        while (picked.Count < Math.Min(count, tags.Length))
        {
            picked.Add(tags[random.Next(tags.Length)]);
        }

        return [.. picked.Order(StringComparer.Ordinal)];
    }

    private static string StableId(string name)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        var chars = new char[20];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[hash[i] % alphabet.Length];
        }

        return new string(chars);
    }
}
