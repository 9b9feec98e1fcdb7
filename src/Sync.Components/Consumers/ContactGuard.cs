using Sync.Contracts;
using Sync.Core.Events;
using Sync.Storage;

namespace Sync.Components.Consumers;

/// <summary>
/// The staleness guard of contact upserts and deletes: a last-writer-wins register per field, by event time. Each
/// field an upsert sets, and the contact's existence, has a freshness record (kept with the tag records, under the
/// contact's identity: its email, else its phone, so it holds before the CRM has given the contact an id). An upsert
/// applies only the fields no newer event has set, so an older event arriving late still fills in what newer ones
/// left out and never overwrites what they set; a delete stamps every field, so an upsert older than the deletion sets
/// nothing, and a delete older than the last upsert is skipped. Tag commands read the recorded deletion too
/// (<see cref="DeletionsAsync"/>): a tag change older than its contact's deletion is stale.
/// </summary>
internal static class ContactGuard
{
    /// <summary>What the guard let through of an upsert that was new to the inbox.</summary>
    /// <param name="Fields">The fields to apply, or null when every field is stale.</param>
    public sealed record FreshUpsert(ContactFields? Fields);

    private const string Exists = "~exists";

    private static readonly string[] AllFields =
    [
        "email", "phone", "firstname", "lastname", "name", "companyname", "address1", "city", "state", "postalcode",
        "country", "website", "timezone", "source",
    ];

    /// <summary>The inbox mark and the field registers an upsert advances (<see cref="UpsertBatcher"/> takes it).</summary>
    public static GuardedMark UpsertMark(Guid messageId, ContactUpsertRequested upsert) =>
        new(messageId, upsert.LocationId, GuardId(upsert.Fields.Email, upsert.Fields.Phone), UpsertChanges(upsert.Fields), upsert.OccurredAt);

    /// <summary>
    /// The fields of <paramref name="upsert"/> to apply once its registers advanced as <paramref name="fresh"/> says
    /// (identity always included), null inside when nothing is fresh.
    /// </summary>
    public static FreshUpsert FreshUpsertOf(ContactUpsertRequested upsert, IReadOnlyList<TagChange> fresh) =>
        new(FreshFields(upsert.Fields, fresh));

    private static List<TagChange> UpsertChanges(ContactFields fields) =>
        Given(fields).Select(f => new TagChange(Field(f.Name), TagOperation.Add))
            .Append(new TagChange(Exists, TagOperation.Add))
            .ToList();

    private static ContactFields? FreshFields(ContactFields fields, IReadOnlyList<TagChange> advanced)
    {
        var fresh = advanced.Select(c => c.Tag).ToHashSet(StringComparer.Ordinal);
        if (!Given(fields).Any(f => fresh.Contains(Field(f.Name))))
        {
            return null;
        }

        bool Keep(string name) => fresh.Contains(Field(name));
        return new ContactFields
        {
            // Identity is what the API matches by: always sent.
            Email = fields.Email,
            Phone = fields.Phone,
            ExternalId = fields.ExternalId,
            FirstName = Keep("firstname") ? fields.FirstName : null,
            LastName = Keep("lastname") ? fields.LastName : null,
            Name = Keep("name") ? fields.Name : null,
            CompanyName = Keep("companyname") ? fields.CompanyName : null,
            Address1 = Keep("address1") ? fields.Address1 : null,
            City = Keep("city") ? fields.City : null,
            State = Keep("state") ? fields.State : null,
            PostalCode = Keep("postalcode") ? fields.PostalCode : null,
            Country = Keep("country") ? fields.Country : null,
            Website = Keep("website") ? fields.Website : null,
            Timezone = Keep("timezone") ? fields.Timezone : null,
            Source = Keep("source") ? fields.Source : null,
            CustomFields = fields.CustomFields?.Where(pair => Keep(CustomField(pair.Key)))
                .ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal) is { Count: > 0 } custom ? custom : null,
        };
    }

    /// <summary>True when the delete is newer than the contact's last upsert; it then stamps every field.</summary>
    public static async Task<bool> AdvanceDeleteAsync(
        IContactIndexStore index, IUnitOfWork unitOfWork, ContactDeleteRequested delete, CancellationToken cancellationToken)
    {
        if (delete.Contact.Email is null && delete.Contact.Phone is null)
        {
            return true; // addressed by external id alone: nothing to guard by
        }

        var guard = GuardId(delete.Contact.Email, delete.Contact.Phone);
        var exists = await index.TryAdvanceTagsAsync(unitOfWork, delete.LocationId, guard,
            [new TagChange(Exists, TagOperation.Remove)], delete.OccurredAt, cancellationToken);
        if (exists.Count == 0)
        {
            return false;
        }

        await index.TryAdvanceTagsAsync(unitOfWork, delete.LocationId, guard,
            [.. AllFields.Select(f => new TagChange(Field(f), TagOperation.Remove))], delete.OccurredAt, cancellationToken);
        return true;
    }

    /// <summary>
    /// When each of <paramref name="contacts"/> was deleted, by guard id (<see cref="GuardIdOf"/>), for those whose last
    /// recorded change of existence is a delete; a later upsert re-creates the contact and replaces the record. A contact
    /// addressed by external id alone has no guard, so no deletion is known for it.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, DateTimeOffset>> DeletionsAsync(
        IContactIndexStore index, string locationId, IEnumerable<ContactReference> contacts, CancellationToken cancellationToken)
    {
        var guards = contacts.Select(GuardIdOf).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (guards.Count == 0)
        {
            return new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        }

        var versions = await index.FindTagVersionsAsync(locationId, guards, Exists, cancellationToken);
        return versions.Where(v => v.Operation == TagOperation.Remove)
            .ToDictionary(v => v.ContactId, v => v.LastOccurredAt, StringComparer.Ordinal);
    }

    /// <summary>The guard's id for a contact reference, or null when it has neither email nor phone.</summary>
    public static string? GuardIdOf(ContactReference contact) =>
        contact.Email is null && contact.Phone is null ? null : GuardId(contact.Email, contact.Phone);

    /// <summary>The guard's id for a contact: its email, else its phone.</summary>
    public static string GuardId(string? email, string? phone) =>
        email is not null ? "contact:email:" + email
        : phone is not null ? "contact:phone:" + phone
        : throw new InvalidEventException("A contact upsert needs an email or a phone.");

    private static string Field(string name) => "~field:" + name;

    // Custom fields have registers of their own, under their key. A delete stamps the standard fields only (it cannot
    // know every key), so an upsert older than a delete still sets a custom key no event set before it.
    private static string CustomField(string key) => "cf:" + key;

    private static IEnumerable<(string Name, string Value)> Given(ContactFields f)
    {
        (string, string?)[] all =
        [
            ("email", f.Email), ("phone", f.Phone), ("firstname", f.FirstName), ("lastname", f.LastName), ("name", f.Name),
            ("companyname", f.CompanyName), ("address1", f.Address1), ("city", f.City), ("state", f.State),
            ("postalcode", f.PostalCode), ("country", f.Country), ("website", f.Website), ("timezone", f.Timezone),
            ("source", f.Source),
        ];
        return all.Where(x => x.Item2 is not null).Select(x => (x.Item1, x.Item2!))
            .Concat((f.CustomFields ?? new Dictionary<string, System.Text.Json.JsonElement>()).Select(pair => (CustomField(pair.Key), pair.Key)));
    }
}
