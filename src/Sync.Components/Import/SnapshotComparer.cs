using System.Globalization;
using System.Text.Json;
using Sync.Core;
using Sync.Core.Webhooks;
using Sync.HoopAi.Api;

namespace Sync.Components.Import;

/// <summary>What to compare.</summary>
/// <param name="LocationId">The location.</param>
/// <param name="Path">The snapshot file.</param>
/// <param name="Format">Its format; null: from the extension.</param>
/// <param name="Mapping">Which column feeds which field.</param>
public sealed record DiffRequest(string LocationId, string Path, SnapshotFormat? Format, SnapshotMapping Mapping)
{
    /// <summary>The share of the location's API budget the reading may take (above 0, at most 1).</summary>
    public double BudgetShare { get; init; } = 1.0;

    /// <summary>Contacts per search call (at most 500).</summary>
    public int PageSize { get; init; } = ContactPagingOptions.MaxSearchPageSize;

    /// <summary>The most rejected rows listed with their reasons (all are counted).</summary>
    public int MaxListedRejections { get; init; } = 1000;
}

/// <summary>How a snapshot's contact differs from the CRM.</summary>
public enum ContactDifferenceKind
{
    /// <summary>No contact of the CRM has the row's email or phone.</summary>
    Missing,

    /// <summary>The contact exists; fields or tags differ.</summary>
    Different,
}

/// <summary>One field that differs.</summary>
/// <param name="Field">The field (<c>firstName</c>, <c>customFields.&lt;key&gt;</c>, …).</param>
/// <param name="Snapshot">The snapshot's value.</param>
/// <param name="Crm">The CRM's value; null when it has none.</param>
public sealed record FieldDifference(string Field, string Snapshot, string? Crm);

/// <summary>One contact of the snapshot that the CRM does not hold as the snapshot says.</summary>
public sealed record ContactDifference
{
    /// <summary>The snapshot line.</summary>
    public required int Line { get; init; }

    /// <summary>The contact's key (<c>email:…</c> or <c>phone:…</c>).</summary>
    public required string Key { get; init; }

    /// <summary>The CRM's contact id; null when missing.</summary>
    public string? ContactId { get; init; }

    /// <summary>Missing, or different.</summary>
    public required ContactDifferenceKind Kind { get; init; }

    /// <summary>Fields whose values differ (empty when missing).</summary>
    public IReadOnlyList<FieldDifference> Fields { get; init; } = [];

    /// <summary>Tags the snapshot has and the CRM contact lacks.</summary>
    public IReadOnlyList<string> TagsMissing { get; init; } = [];

    /// <summary>Tags the CRM contact has and the snapshot does not (only with a tags column).</summary>
    public IReadOnlyList<string> TagsExtra { get; init; } = [];

    internal SnapshotRow Row { get; init; } = null!;

    internal string? CrmVersion { get; init; }
}

/// <summary>What a comparison found.</summary>
public sealed class DiffResult
{
    /// <summary>Rows read, rejected ones included.</summary>
    public long Rows { get; internal set; }

    /// <summary>Contacts the CRM holds in the location.</summary>
    public long CrmContacts { get; internal set; }

    /// <summary>Snapshot rows matched to a CRM contact.</summary>
    public long Matched { get; internal set; }

    /// <summary>The differences, in snapshot order.</summary>
    public List<ContactDifference> Differences { get; } = [];

    /// <summary>Rows rejected.</summary>
    public long RejectedCount { get; internal set; }

    /// <summary>The first rejected rows with their reasons.</summary>
    public List<RejectedRow> Rejected { get; } = [];

    /// <summary>Columns that fed no field.</summary>
    public IReadOnlyCollection<string> IgnoredColumns { get; internal set; } = [];
}

/// <summary>What a repair queued.</summary>
/// <param name="Queued">Events queued.</param>
/// <param name="Unchanged">Events already queued or applied (the same repair of the same drift).</param>
/// <param name="Messages">The queued messages with their snapshot lines, to wait for.</param>
public sealed record RepairResult(long Queued, long Unchanged, IReadOnlyList<(Guid MessageId, int Line)> Messages);

/// <summary>
/// Compares a snapshot file with the CRM: every contact of the location is read (the paging reader, at a share of the
/// budget) and matched to the snapshot's rows by email, else phone; for a match, each field the row gives (not its
/// externalId, which the CRM does not hold) and, when the snapshot has tags, the tag set are compared. Rows no contact
/// matches are missing. CRM contacts the snapshot does not name are not differences (a snapshot may be partial). The
/// snapshot is held in memory, keyed by email and phone; the CRM is streamed. <see cref="RepairAsync"/> turns the
/// differences into source events through the import's path.
/// </summary>
public sealed class SnapshotComparer(HoopAiClient api, ContactImporter importer, TimeProvider time)
{
    /// <summary>Reads the snapshot and the CRM and lists the differences.</summary>
    /// <exception cref="SnapshotFileException">The file cannot be read at all.</exception>
    public async Task<DiffResult> CompareAsync(DiffRequest request, IProgress<ContactReadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = new DiffResult();
        var rows = new List<SnapshotRow>();
        var byEmail = new Dictionary<string, SnapshotRow>(StringComparer.Ordinal);
        var byPhone = new Dictionary<string, SnapshotRow>(StringComparer.Ordinal);
        using (var reader = SnapshotReader.Open(request.Path, request.Format, request.Mapping))
        {
            foreach (var record in reader.Records())
            {
                result.Rows++;
                var rejection = record.Rejection;
                if (record.Row is { } row)
                {
                    var earlier = (row.Email is not null ? byEmail.GetValueOrDefault(row.Email) : null) ??
                                  (row.Phone is not null ? byPhone.GetValueOrDefault(row.Phone) : null);
                    if (earlier is null)
                    {
                        rows.Add(row);
                        if (row.Email is not null)
                        {
                            byEmail[row.Email] = row;
                        }

                        if (row.Phone is not null)
                        {
                            byPhone.TryAdd(row.Phone, row);
                        }

                        continue;
                    }

                    rejection = $"the same {(row.Email is not null && byEmail.ContainsKey(row.Email) ? "email" : "phone")} as line {earlier.Line}";
                }

                result.RejectedCount++;
                if (result.Rejected.Count < request.MaxListedRejections)
                {
                    result.Rejected.Add(new RejectedRow(record.Line, rejection ?? "rejected"));
                }
            }

            result.IgnoredColumns = [.. reader.IgnoredColumns];
        }

        // The CRM keeps custom field values under the field's id: the location's definitions say which key is which.
        var fieldIds = rows.Any(r => r.CustomFields.Count > 0)
            ? FieldIdsByKey(await api.GetCustomFieldsAsync(request.LocationId, cancellationToken))
            : new Dictionary<string, string>(StringComparer.Ordinal);
        var found = new Dictionary<int, ContactDifference?>();
        var options = new ContactPagingOptions { PageSize = request.PageSize, BudgetShare = request.BudgetShare };
        progress?.Report(new ContactReadProgress(0, null));
        await foreach (var page in api.ReadContactPagesAsync(request.LocationId, options, cancellationToken))
        {
            foreach (var contact in page.Contacts)
            {
                result.CrmContacts++;
                var email = ContactKeys.NormalizeEmail(contact.Contact.Email);
                var phone = ContactKeys.NormalizePhone(contact.Contact.Phone);
                var row = (email is not null ? byEmail.GetValueOrDefault(email) : null) ?? (phone is not null ? byPhone.GetValueOrDefault(phone) : null);
                if (row is null || found.ContainsKey(row.Line))
                {
                    continue;
                }

                found[row.Line] = Compare(row, contact, fieldIds);
            }

            progress?.Report(new ContactReadProgress(result.CrmContacts, page.Total));
        }

        result.Matched = found.Count;
        foreach (var row in rows)
        {
            if (!found.TryGetValue(row.Line, out var difference))
            {
                result.Differences.Add(new ContactDifference { Line = row.Line, Key = row.Key, Kind = ContactDifferenceKind.Missing, Row = row });
            }
            else if (difference is not null)
            {
                result.Differences.Add(difference);
            }
        }

        return result;
    }

    /// <summary>
    /// Queues one event per difference through the import's path: a missing contact is upserted whole; a differing one
    /// gets an upsert of its email, phone and differing fields with the tags it lacks (or, when only tags are missing, a
    /// tag addition), and a tag removal for its extra tags. The events happen now, so they win over the older events
    /// that set what the CRM holds. Their ids derive from the difference and the CRM's last change of the contact, so
    /// repairing the same drift twice queues it once.
    /// </summary>
    public async Task<RepairResult> RepairAsync(string locationId, IReadOnlyList<ContactDifference> differences, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(differences);
        var now = time.GetUtcNow();
        var events = new List<ImportEvents.QueuedEvent>();
        foreach (var difference in differences)
        {
            var row = difference.Row;
            if (difference.Kind == ContactDifferenceKind.Missing)
            {
                events.Add(ImportEvents.Build(locationId, SourceEventReader.ContactUpserted, row.Line, row.Key, row.Fields, row.CustomFields,
                    row.Tags ?? [], now, now, salt: "missing " + now.ToString("O", CultureInfo.InvariantCulture)));
                continue;
            }

            var identity = Identity(row);
            var salt = $"crm {difference.CrmVersion} " + string.Join('\u001f', difference.Fields.Select(f => $"{f.Field}={f.Crm}"));
            if (difference.Fields.Count > 0)
            {
                var fields = new Dictionary<string, string>(identity, StringComparer.Ordinal);
                var custom = new Dictionary<string, SnapshotValue>(StringComparer.Ordinal);
                foreach (var field in difference.Fields)
                {
                    if (field.Field.StartsWith(SnapshotMapping.CustomFieldPrefix, StringComparison.Ordinal))
                    {
                        var key = field.Field[SnapshotMapping.CustomFieldPrefix.Length..];
                        custom[key] = row.CustomFields[key];
                    }
                    else
                    {
                        fields[field.Field] = row.Fields[field.Field];
                    }
                }

                events.Add(ImportEvents.Build(locationId, SourceEventReader.ContactUpserted, row.Line, row.Key, fields, custom,
                    difference.TagsMissing, now, now, salt));
            }
            else if (difference.TagsMissing.Count > 0)
            {
                events.Add(ImportEvents.Build(locationId, SourceEventReader.ContactTagsAdded, row.Line, row.Key, identity,
                    new Dictionary<string, SnapshotValue>(), difference.TagsMissing, now, now, salt));
            }

            if (difference.TagsExtra.Count > 0)
            {
                events.Add(ImportEvents.Build(locationId, SourceEventReader.ContactTagsRemoved, row.Line, row.Key, identity,
                    new Dictionary<string, SnapshotValue>(), difference.TagsExtra, now, now, salt));
            }
        }

        long queued = 0, unchanged = 0;
        var messages = new List<(Guid MessageId, int Line)>();
        foreach (var chunk in events.Chunk(500))
        {
            var standings = await importer.QueueAsync(chunk, cancellationToken);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (standings[i] is null)
                {
                    queued++;
                    messages.Add((chunk[i].MessageId, chunk[i].Line));
                }
                else
                {
                    unchanged++;
                }
            }
        }

        return new RepairResult(queued, unchanged, messages);
    }

    private static Dictionary<string, string> Identity(SnapshotRow row)
    {
        var identity = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in (string[])["email", "phone"])
        {
            if (row.Fields.TryGetValue(field, out var value))
            {
                identity[field] = value;
            }
        }

        return identity;
    }

    // A field is named by its key (with or without "contact.", any case) or by its id (an export's customFields).
    private static Dictionary<string, string> FieldIdsByKey(IReadOnlyList<CustomFieldDefinition> definitions)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var definition in definitions)
        {
            if (Core.Events.CustomFieldKeys.Normalize(definition.FieldKey) is { } key)
            {
                ids.TryAdd(key, definition.Id);
            }

            ids.TryAdd(definition.Id.ToLowerInvariant(), definition.Id);
        }

        return ids;
    }

    private static ContactDifference? Compare(SnapshotRow row, PagedContact contact, IReadOnlyDictionary<string, string> fieldIds)
    {
        var json = contact.Json;
        var fields = new List<FieldDifference>();
        foreach (var (field, value) in row.Fields.OrderBy(f => Array.IndexOf([.. SnapshotMapping.ContactFields], f.Key)))
        {
            if (field == "externalId")
            {
                continue;
            }

            var crm = Text(json, field);
            var same = field switch
            {
                "email" => ContactKeys.NormalizeEmail(value) == ContactKeys.NormalizeEmail(crm),
                "phone" => ContactKeys.NormalizePhone(value) == ContactKeys.NormalizePhone(crm),
                _ => string.Equals(value, crm?.Trim(), StringComparison.Ordinal),
            };
            if (!same)
            {
                fields.Add(new FieldDifference(field, value, crm));
            }
        }

        foreach (var (key, value) in row.CustomFields.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var crm = CustomField(json, Core.Events.CustomFieldKeys.Normalize(key) is { } normalized && fieldIds.TryGetValue(normalized, out var id) ? id : key);
            if (!SameValue(value.Text, crm))
            {
                fields.Add(new FieldDifference(SnapshotMapping.CustomFieldPrefix + key, value.Text, crm));
            }
        }

        IReadOnlyList<string> missing = [], extra = [];
        if (row.Tags is { } tags)
        {
            var held = ContactKeys.NormalizeTags(contact.Contact.Tags);
            missing = [.. tags.Except(held, StringComparer.Ordinal)];
            extra = [.. held.Except(tags, StringComparer.Ordinal)];
        }

        if (fields.Count == 0 && missing.Count == 0 && extra.Count == 0)
        {
            return null;
        }

        return new ContactDifference
        {
            Line = row.Line,
            Key = row.Key,
            ContactId = contact.Contact.Id,
            Kind = ContactDifferenceKind.Different,
            Fields = fields,
            TagsMissing = missing,
            TagsExtra = extra,
            Row = row,
            CrmVersion = contact.Contact.Id + " " + Text(json, "dateUpdated"),
        };
    }

    private static bool SameValue(string snapshot, string? crm)
    {
        if (crm is null)
        {
            return false;
        }

        if (string.Equals(snapshot.Trim(), crm.Trim(), StringComparison.Ordinal))
        {
            return true;
        }

        return decimal.TryParse(snapshot, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) &&
               decimal.TryParse(crm, NumberStyles.Float, CultureInfo.InvariantCulture, out var b) && a == b;
    }

    private static string? Text(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) ? ValueText(value) : null;

    private static string? ValueText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static string? CustomField(JsonElement json, string fieldId)
    {
        if (!json.TryGetProperty("customFields", out var custom))
        {
            return null;
        }

        if (custom.ValueKind == JsonValueKind.Object)
        {
            return custom.TryGetProperty(fieldId, out var direct) ? ValueText(direct) : null;
        }

        if (custom.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var item in custom.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String &&
                id.GetString() == fieldId && item.TryGetProperty("value", out var value))
            {
                return ValueText(value);
            }
        }

        return null;
    }
}
