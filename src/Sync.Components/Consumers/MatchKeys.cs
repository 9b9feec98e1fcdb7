using Sync.Storage;

namespace Sync.Components.Consumers;

/// <summary>The contact index keys of a contact: its email, phone and external id, those it has.</summary>
internal static class MatchKeys
{
    public static IEnumerable<ContactKey> Of(string? email, string? phone, string? externalId)
    {
        if (email is { Length: > 0 })
        {
            yield return ContactKey.Email(email);
        }

        if (phone is { Length: > 0 })
        {
            yield return ContactKey.Phone(phone);
        }

        if (externalId is { Length: > 0 })
        {
            yield return ContactKey.ExternalId(externalId);
        }
    }

    /// <summary>Index entries pointing every key of the contact at <paramref name="contactId"/>.</summary>
    public static List<ContactKeyEntry> Entries(string? email, string? phone, string? externalId, string contactId) =>
        [.. Of(email, phone, externalId).Select(k => new ContactKeyEntry(k, contactId))];
}
