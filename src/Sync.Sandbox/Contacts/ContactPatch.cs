using System.Text;
using System.Text.Json;

namespace Sync.Sandbox.Contacts;

/// <summary>The fields an upsert body carries. A field absent from the body is absent here and left unchanged.</summary>
internal sealed class ContactPatch
{
    /// <summary>String fields given (name → value; a null value clears the field). Email and phone arrive normalised.</summary>
    public Dictionary<string, string?> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>When given, the contact's whole tag list (normalised).</summary>
    public List<string>? Tags { get; set; }

    public bool? Dnd { get; set; }

    public bool DndGiven { get; set; }

    public List<KeyValuePair<string, JsonElement>>? CustomFields { get; set; }

    public string? Email => Values.GetValueOrDefault("email");

    public string? Phone => Values.GetValueOrDefault("phone");

    /// <summary>The string fields an upsert may set (besides email and phone, handled as keys).</summary>
    public static readonly string[] StringFields =
    [
        "firstName", "lastName", "name", "companyName", "address1", "city", "state", "postalCode", "country",
        "website", "timezone", "source", "dateOfBirth", "assignedTo", "gender",
    ];

    public void ApplyTo(Contact contact)
    {
        foreach (var (field, value) in Values)
        {
            switch (field)
            {
                case "firstName": contact.FirstName = value; break;
                case "lastName": contact.LastName = value; break;
                case "name": contact.Name = value; break;
                case "companyName": contact.CompanyName = value; break;
                case "address1": contact.Address1 = value; break;
                case "city": contact.City = value; break;
                case "state": contact.State = value; break;
                case "postalCode": contact.PostalCode = value; break;
                case "country": contact.Country = value; break;
                case "website": contact.Website = value; break;
                case "timezone": contact.Timezone = value; break;
                case "source": contact.Source = value; break;
                case "dateOfBirth": contact.DateOfBirth = value; break;
                case "assignedTo": contact.AssignedTo = value; break;
                case "gender": contact.Gender = value; break;
                default: break; // email and phone are applied by the store, which keeps their indexes.
            }
        }

        if (DndGiven)
        {
            contact.Dnd = Dnd;
        }

        if (Tags is not null)
        {
            contact.Tags.Clear();
            contact.Tags.AddRange(Tags);
        }

        if (CustomFields is not null)
        {
            foreach (var (key, value) in CustomFields)
            {
                contact.CustomFields[key] = value;
            }
        }
    }

    /// <summary>Email as the platform keeps it: trimmed, lowercased.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    /// <summary>
    /// Phone in E.164 form, as the platform stores it: separators dropped, ten digits taken as a US number (+1),
    /// otherwise the digits with a leading <c>+</c>. Null when it is not a phone number (fewer than 7 or more than 15 digits, or letters).
    /// </summary>
    public static string? NormalizePhone(string phone)
    {
        var digits = new StringBuilder(16);
        var plus = false;
        foreach (var c in phone.Trim())
        {
            if (char.IsAsciiDigit(c))
            {
                digits.Append(c);
            }
            else if (c == '+' && digits.Length == 0 && !plus)
            {
                plus = true;
            }
            else if (c is not (' ' or '-' or '.' or '(' or ')'))
            {
                return null;
            }
        }

        if (digits.Length is < 7 or > 15)
        {
            return null;
        }

        return !plus && digits.Length == 10 ? "+1" + digits : "+" + digits;
    }

    /// <summary>A tag as the platform keeps it: trimmed and lowercased; null when empty.</summary>
    public static string? NormalizeTag(string tag)
    {
        var trimmed = tag.Trim();
        return trimmed.Length == 0 ? null : trimmed.ToLowerInvariant();
    }

    /// <summary>Tags normalised and de-duplicated, first occurrence first.</summary>
    public static List<string> NormalizeTags(IEnumerable<string> tags)
    {
        var result = new List<string>();
        foreach (var tag in tags)
        {
            if (NormalizeTag(tag) is { } normalized && !result.Contains(normalized))
            {
                result.Add(normalized);
            }
        }

        return result;
    }
}
