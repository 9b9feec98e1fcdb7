namespace Sync.Emitter;

/// <summary>A contact as it must end up in the CRM once every event was applied.</summary>
public sealed record ExpectedContact
{
    /// <summary>The contact's key (email, lowercased).</summary>
    public required string Key { get; init; }

    /// <summary>Email, lowercased.</summary>
    public string? Email { get; init; }

    /// <summary>Phone.</summary>
    public string? Phone { get; init; }

    /// <summary>First name.</summary>
    public string? FirstName { get; init; }

    /// <summary>Last name.</summary>
    public string? LastName { get; init; }

    /// <summary>Company name.</summary>
    public string? CompanyName { get; init; }

    /// <summary>Tags, lowercased, sorted.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>True when the contact's last word was a delete: it must not exist.</summary>
    public bool Deleted { get; init; }
}

/// <summary>A contact as read back from the CRM (or the sandbox), to compare with <see cref="ExpectedState"/>.</summary>
/// <param name="Email">Email.</param>
/// <param name="Phone">Phone.</param>
/// <param name="FirstName">First name.</param>
/// <param name="LastName">Last name.</param>
/// <param name="CompanyName">Company name.</param>
/// <param name="Tags">Tags.</param>
public sealed record ActualContact(string? Email, string? Phone, string? FirstName, string? LastName, string? CompanyName, IReadOnlyList<string> Tags);

/// <summary>
/// The final state a set of source events must produce, folded in <c>occurredAt</c> order (the order in which they
/// happened, whatever order they were delivered in): the last upsert sets each field it gives; for each tag the
/// latest add or remove wins; a delete removes the contact. Duplicates and delivery order change nothing.
/// </summary>
public sealed class ExpectedState
{
    private readonly Dictionary<string, Dictionary<string, ExpectedContact>> _locations;

    private ExpectedState(Dictionary<string, Dictionary<string, ExpectedContact>> locations) => _locations = locations;

    /// <summary>The locations the events touched.</summary>
    public IReadOnlyCollection<string> Locations => _locations.Keys;

    /// <summary>Folds events (duplicates by id are counted once).</summary>
    public static ExpectedState Fold(IEnumerable<SourceEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var unique = events.DistinctBy(e => e.Id, StringComparer.Ordinal)
            .Select((e, i) => (Event: e, Order: i))
            .OrderBy(x => x.Event.OccurredAt).ThenBy(x => x.Order)
            .Select(x => x.Event);
        var working = new Dictionary<(string Location, string Key), Working>();
        foreach (var e in unique)
        {
            var key = (e.LocationId, Normalize(e.ContactKey)!);
            if (!working.TryGetValue(key, out var contact))
            {
                contact = new Working();
                working[key] = contact;
            }

            var tags = (e.Tags ?? []).Select(Normalize).OfType<string>();
            switch (e.Type)
            {
                case SourceEventTypes.Upserted:
                    contact.Deleted = false;
                    contact.Email = Normalize(e.Contact.Email) ?? contact.Email;
                    contact.Phone = e.Contact.Phone ?? contact.Phone;
                    contact.FirstName = e.Contact.FirstName ?? contact.FirstName;
                    contact.LastName = e.Contact.LastName ?? contact.LastName;
                    contact.CompanyName = e.Contact.CompanyName ?? contact.CompanyName;
                    contact.Tags.UnionWith(tags);
                    break;
                case SourceEventTypes.TagsAdded:
                    contact.Tags.UnionWith(tags);
                    break;
                case SourceEventTypes.TagsRemoved:
                    contact.Tags.ExceptWith(tags);
                    break;
                case SourceEventTypes.Deleted:
                    contact.Deleted = true;
                    contact.Tags.Clear();
                    break;
                default:
                    throw new ArgumentException($"Unknown source event type '{e.Type}' (event {e.Id}).", nameof(events));
            }
        }

        var locations = new Dictionary<string, Dictionary<string, ExpectedContact>>(StringComparer.Ordinal);
        foreach (var ((location, key), c) in working)
        {
            if (!locations.TryGetValue(location, out var contacts))
            {
                contacts = new Dictionary<string, ExpectedContact>(StringComparer.Ordinal);
                locations[location] = contacts;
            }

            contacts[key] = new ExpectedContact
            {
                Key = key,
                Email = c.Email,
                Phone = c.Phone,
                FirstName = c.FirstName,
                LastName = c.LastName,
                CompanyName = c.CompanyName,
                Tags = [.. c.Tags],
                Deleted = c.Deleted,
            };
        }

        return new ExpectedState(locations);
    }

    /// <summary>Every contact of a location that must exist, by key.</summary>
    public IReadOnlyList<ExpectedContact> Live(string locationId) =>
        _locations.TryGetValue(locationId, out var contacts) ? [.. contacts.Values.Where(c => !c.Deleted).OrderBy(c => c.Key, StringComparer.Ordinal)] : [];

    /// <summary>Every contact of a location, deleted ones included, by key.</summary>
    public IReadOnlyDictionary<string, ExpectedContact> All(string locationId) =>
        _locations.TryGetValue(locationId, out var contacts) ? contacts : new Dictionary<string, ExpectedContact>();

    /// <summary>
    /// The differences between what a location must hold and what it holds, one line each; empty when they agree.
    /// Contacts are matched by email; contacts the events never touched are ignored.
    /// </summary>
    public IReadOnlyList<string> Diff(string locationId, IEnumerable<ActualContact> actual)
    {
        ArgumentNullException.ThrowIfNull(actual);
        var differences = new List<string>();
        var byEmail = actual.Where(a => a.Email is not null).ToDictionary(a => Normalize(a.Email)!, StringComparer.Ordinal);
        foreach (var expected in All(locationId).Values.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            byEmail.TryGetValue(expected.Key, out var found);
            if (expected.Deleted)
            {
                if (found is not null)
                {
                    differences.Add($"{locationId}/{expected.Key}: must be deleted but exists");
                }

                continue;
            }

            if (found is null)
            {
                differences.Add($"{locationId}/{expected.Key}: missing");
                continue;
            }

            Compare(differences, locationId, expected.Key, "firstName", expected.FirstName, found.FirstName);
            Compare(differences, locationId, expected.Key, "lastName", expected.LastName, found.LastName);
            Compare(differences, locationId, expected.Key, "companyName", expected.CompanyName, found.CompanyName);
            var actualTags = found.Tags.Select(Normalize).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToArray();
            if (!actualTags.SequenceEqual(expected.Tags, StringComparer.Ordinal))
            {
                differences.Add($"{locationId}/{expected.Key}: tags [{string.Join(",", actualTags)}], expected [{string.Join(",", expected.Tags)}]");
            }
        }

        return differences;
    }

    private static void Compare(List<string> differences, string location, string key, string field, string? expected, string? actual)
    {
        if (expected is not null && !string.Equals(expected, actual, StringComparison.Ordinal))
        {
            differences.Add($"{location}/{key}: {field} '{actual}', expected '{expected}'");
        }
    }

    private static string? Normalize(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim().ToLowerInvariant();

    private sealed class Working
    {
        public string? Email { get; set; }

        public string? Phone { get; set; }

        public string? FirstName { get; set; }

        public string? LastName { get; set; }

        public string? CompanyName { get; set; }

        public SortedSet<string> Tags { get; } = new(StringComparer.Ordinal);

        public bool Deleted { get; set; }
    }
}
