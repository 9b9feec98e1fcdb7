using System.Collections.Concurrent;

namespace Sync.Sandbox.Contacts;

/// <summary>
/// Every location's contacts, in memory. One lock per location keeps each location's indexes (id, email, phone,
/// creation order) consistent; locations never wait on each other.
/// </summary>
public sealed class ContactStore
{
    private readonly ConcurrentDictionary<string, LocationBook> _locations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Contact> _byId = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly DuplicatePriority _priority;

    internal ContactStore(TimeProvider time, DuplicatePriority priority)
    {
        _time = time;
        _priority = priority;
    }

    /// <summary>Every contact of a location, in creation order, as the API would show them.</summary>
    public IReadOnlyList<ContactView> ForLocation(string locationId)
    {
        if (!_locations.TryGetValue(locationId, out var book))
        {
            return [];
        }

        lock (book)
        {
            return [.. book.Ordered.Select(c => c.ToView())];
        }
    }

    /// <summary>One contact by id, whatever its location; null when there is none.</summary>
    public ContactView? Find(string contactId)
    {
        if (!_byId.TryGetValue(contactId, out var contact) || !_locations.TryGetValue(contact.LocationId, out var book))
        {
            return null;
        }

        lock (book)
        {
            return book.ById.ContainsKey(contactId) ? contact.ToView() : null;
        }
    }

    /// <summary>The ids of the locations that have had contacts.</summary>
    public IReadOnlyList<string> Locations() => [.. _locations.Keys];

    /// <summary>Total number of contacts across locations.</summary>
    public int Count => _byId.Count;

    internal void Reset()
    {
        _locations.Clear();
        _byId.Clear();
    }

    internal (ContactView Contact, bool Created) Upsert(string locationId, ContactPatch patch)
    {
        var book = Book(locationId);
        lock (book)
        {
            var email = patch.Email;
            var phone = patch.Phone;
            var byEmail = email is null ? null : book.ByEmail.GetValueOrDefault(email);
            var byPhone = phone is null ? null : book.ByPhone.GetValueOrDefault(phone);
            var match = _priority == DuplicatePriority.Email ? byEmail ?? byPhone : byPhone ?? byEmail;
            var created = match is null;
            var contact = match ?? NewContact(book, locationId);

            // A key that belongs to another contact is dropped: the contact matched first by priority wins.
            if (email is not null && byEmail is not null && byEmail != contact)
            {
                patch.Values.Remove("email");
            }

            if (phone is not null && byPhone is not null && byPhone != contact)
            {
                patch.Values.Remove("phone");
            }

            if (patch.Values.TryGetValue("email", out var newEmail))
            {
                SetKey(book.ByEmail, contact, contact.Email, newEmail);
                contact.Email = newEmail;
            }

            if (patch.Values.TryGetValue("phone", out var newPhone))
            {
                SetKey(book.ByPhone, contact, contact.Phone, newPhone);
                contact.Phone = newPhone;
            }

            patch.ApplyTo(contact);
            if (!created)
            {
                Touch(contact);
            }

            return (contact.ToView(), created);
        }
    }

    internal ContactView? Get(string contactId, out string? locationId)
    {
        locationId = null;
        if (!_byId.TryGetValue(contactId, out var contact))
        {
            return null;
        }

        locationId = contact.LocationId;
        var book = Book(contact.LocationId);
        lock (book)
        {
            return book.ById.ContainsKey(contactId) ? contact.ToView() : null;
        }
    }

    internal bool Delete(string contactId)
    {
        if (!_byId.TryGetValue(contactId, out var contact))
        {
            return false;
        }

        var book = Book(contact.LocationId);
        lock (book)
        {
            if (!book.ById.Remove(contactId))
            {
                return false;
            }

            if (contact.Email is not null)
            {
                book.ByEmail.Remove(contact.Email);
            }

            if (contact.Phone is not null)
            {
                book.ByPhone.Remove(contact.Phone);
            }

            var index = book.IndexOf(contact);
            if (index >= 0)
            {
                book.Ordered.RemoveAt(index);
            }

            _byId.TryRemove(contactId, out _);
            return true;
        }
    }

    /// <summary>Adds or removes tags of one contact; returns the contact's tags afterwards, or null when it is gone.</summary>
    internal IReadOnlyList<string>? ChangeTags(string contactId, IReadOnlyList<string> tags, bool add)
    {
        if (!_byId.TryGetValue(contactId, out var contact))
        {
            return null;
        }

        var book = Book(contact.LocationId);
        lock (book)
        {
            if (!book.ById.ContainsKey(contactId))
            {
                return null;
            }

            ApplyTags(contact, tags, add, removeAll: false, out _);
            return [.. contact.Tags];
        }
    }

    internal BulkTagResult[] BulkTags(string locationId, IReadOnlyList<string> contactIds, IReadOnlyList<string> tags, bool add, bool removeAll)
    {
        var results = new BulkTagResult[contactIds.Count];
        var book = Book(locationId);
        lock (book)
        {
            for (var i = 0; i < contactIds.Count; i++)
            {
                var id = contactIds[i];
                if (!book.ById.TryGetValue(id, out var contact))
                {
                    var foreign = _byId.TryGetValue(id, out var other) && other.LocationId != locationId;
                    results[i] = new BulkTagResult(id, false,
                        foreign ? "Contact does not belong to this location" : "Contact not found", null, null);
                    continue;
                }

                var old = contact.Tags.ToArray();
                ApplyTags(contact, tags, add, removeAll, out var touched);
                results[i] = new BulkTagResult(id, true, add ? "Tags added successfully" : "Tags removed successfully", old, touched);
            }
        }

        return results;
    }

    internal ContactView? FindDuplicate(string locationId, string? email, string? phone)
    {
        if (!_locations.TryGetValue(locationId, out var book))
        {
            return null;
        }

        lock (book)
        {
            var byEmail = email is null ? null : book.ByEmail.GetValueOrDefault(email);
            var byPhone = phone is null ? null : book.ByPhone.GetValueOrDefault(phone);
            var match = _priority == DuplicatePriority.Email ? byEmail ?? byPhone : byPhone ?? byEmail;
            return match?.ToView();
        }
    }

    internal LegacyPage ListLegacy(string locationId, int limit, string? startAfterId, long? startAfter)
    {
        if (!_locations.TryGetValue(locationId, out var book))
        {
            return new LegacyPage([], 0, 0, false);
        }

        lock (book)
        {
            var start = book.StartAfter(startAfterId, startAfter);
            var count = Math.Min(limit, book.Ordered.Count - start);
            var page = new ContactView[count];
            for (var i = 0; i < count; i++)
            {
                page[i] = book.Ordered[start + i].ToView();
            }

            return new LegacyPage(page, book.Ordered.Count, start, start + count < book.Ordered.Count);
        }
    }

    internal SearchPage Search(string locationId, SearchQuery query)
    {
        if (!_locations.TryGetValue(locationId, out var book))
        {
            return new SearchPage([], 0);
        }

        lock (book)
        {
            var ordered = book.Ordered;
            int total;
            if (query.Predicate is null)
            {
                total = ordered.Count;
            }
            else
            {
                total = 0;
                foreach (var contact in ordered)
                {
                    if (query.Predicate(contact))
                    {
                        total++;
                    }
                }
            }

            // Start position in the walking direction, then skip matches for page-based paging.
            int position;
            if (query.SearchAfter is { } cursor)
            {
                position = query.Descending ? book.StartBefore(cursor.Id, cursor.DateAddedMs) : book.StartAfter(cursor.Id, cursor.DateAddedMs);
            }
            else
            {
                position = query.Descending ? ordered.Count - 1 : 0;
            }

            var skip = query.SearchAfter is null ? (query.Page - 1) * query.PageLimit : 0;
            var results = new List<ContactView>(Math.Min(query.PageLimit, total));
            var step = query.Descending ? -1 : 1;
            for (var i = position; i >= 0 && i < ordered.Count && results.Count < query.PageLimit; i += step)
            {
                var contact = ordered[i];
                if (query.Predicate is not null && !query.Predicate(contact))
                {
                    continue;
                }

                if (skip > 0)
                {
                    skip--;
                    continue;
                }

                results.Add(contact.ToView(withCursor: true));
            }

            return new SearchPage(results, total);
        }
    }

    private LocationBook Book(string locationId) => _locations.GetOrAdd(locationId, static _ => new LocationBook());

    private Contact NewContact(LocationBook book, string locationId)
    {
        // Creation times never go backwards within a location, so creation order and dateAdded order agree.
        var now = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), book.LastAddedMs);
        book.LastAddedMs = now;
        string id;
        Contact contact;
        do
        {
            id = TokenStore.NewId(20);
            contact = new Contact(id, locationId, ++book.LastSequence, now);
        }
        while (!_byId.TryAdd(id, contact));

        book.ById[id] = contact;
        book.Ordered.Add(contact);
        return contact;
    }

    private void Touch(Contact contact) =>
        contact.DateUpdated = Contact.FormatDate(Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), contact.DateAddedMs));

    private void ApplyTags(Contact contact, IReadOnlyList<string> tags, bool add, bool removeAll, out string[] touched)
    {
        var changed = new List<string>();
        if (add)
        {
            foreach (var tag in tags)
            {
                if (!contact.Tags.Contains(tag))
                {
                    contact.Tags.Add(tag);
                    changed.Add(tag);
                }
            }
        }
        else if (removeAll)
        {
            changed.AddRange(contact.Tags);
            contact.Tags.Clear();
        }
        else
        {
            foreach (var tag in tags)
            {
                if (contact.Tags.Remove(tag))
                {
                    changed.Add(tag);
                }
            }
        }

        touched = [.. changed];
        if (changed.Count > 0)
        {
            Touch(contact);
        }
    }

    private static void SetKey(Dictionary<string, Contact> index, Contact contact, string? oldKey, string? newKey)
    {
        if (oldKey == newKey)
        {
            return;
        }

        if (oldKey is not null && index.TryGetValue(oldKey, out var holder) && holder == contact)
        {
            index.Remove(oldKey);
        }

        if (newKey is not null)
        {
            index[newKey] = contact;
        }
    }

    private sealed class LocationBook
    {
        public Dictionary<string, Contact> ById { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Contact> ByEmail { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Contact> ByPhone { get; } = new(StringComparer.Ordinal);

        /// <summary>Contacts in creation order, which is also (dateAdded, sequence) order.</summary>
        public List<Contact> Ordered { get; } = [];

        public long LastSequence { get; set; }

        public long LastAddedMs { get; set; }

        public int IndexOf(Contact contact)
        {
            int lo = 0, hi = Ordered.Count - 1;
            while (lo <= hi)
            {
                var mid = (lo + hi) >>> 1;
                var sequence = Ordered[mid].Sequence;
                if (sequence == contact.Sequence)
                {
                    return mid;
                }

                if (sequence < contact.Sequence)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return -1;
        }

        /// <summary>Index of the first contact after the cursor: after the contact <paramref name="id"/> when it still exists, else after every contact added at or before <paramref name="epochMs"/>.</summary>
        public int StartAfter(string? id, long? epochMs)
        {
            if (id is not null && ById.TryGetValue(id, out var contact))
            {
                return IndexOf(contact) + 1;
            }

            return epochMs is { } ms ? FirstAddedAfter(ms) : 0;
        }

        /// <summary>Index of the first contact before the cursor when walking newest first.</summary>
        public int StartBefore(string? id, long? epochMs)
        {
            if (id is not null && ById.TryGetValue(id, out var contact))
            {
                return IndexOf(contact) - 1;
            }

            return epochMs is { } ms ? FirstAddedAfter(ms - 1) - 1 : Ordered.Count - 1;
        }

        private int FirstAddedAfter(long epochMs)
        {
            int lo = 0, hi = Ordered.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Ordered[mid].DateAddedMs <= epochMs)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}

internal sealed record BulkTagResult(string ContactId, bool Success, string Message, string[]? OldTags, string[]? Changed);

internal sealed record LegacyPage(IReadOnlyList<ContactView> Contacts, int Total, int Start, bool HasMore);

internal sealed record SearchPage(IReadOnlyList<ContactView> Contacts, int Total);

internal sealed record SearchCursor(long? DateAddedMs, string? Id);

internal sealed record SearchQuery(int PageLimit, int Page, SearchCursor? SearchAfter, bool Descending, Func<Contact, bool>? Predicate);
