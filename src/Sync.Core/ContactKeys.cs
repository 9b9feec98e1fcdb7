using System.Text;

namespace Sync.Core;

/// <summary>Canonical forms of the keys contacts are matched by, so the index and the API agree on what "the same" means.</summary>
public static class ContactKeys
{
    /// <summary>Email trimmed and lowercased (the API matches email case-insensitively); null when empty.</summary>
    public static string? NormalizeEmail(string? email) =>
        string.IsNullOrWhiteSpace(email) ? null : email.Trim().ToLowerInvariant();

    /// <summary>Phone with spaces, dashes, dots and parentheses removed, a leading <c>+</c> kept; null when no digit remains.</summary>
    public static string? NormalizePhone(string? phone)
    {
        if (string.IsNullOrWhiteSpace(phone))
        {
            return null;
        }

        var builder = new StringBuilder(phone.Length);
        foreach (var c in phone.Trim())
        {
            if (char.IsAsciiDigit(c) || (c == '+' && builder.Length == 0))
            {
                builder.Append(c);
            }
        }

        return builder.Length == 0 || builder.ToString() == "+" ? null : builder.ToString();
    }

    /// <summary>A tag as the platform keeps it: trimmed and lowercased; null when empty.</summary>
    public static string? NormalizeTag(string? tag) =>
        string.IsNullOrWhiteSpace(tag) ? null : tag.Trim().ToLowerInvariant();

    /// <summary>Tags normalised, de-duplicated and sorted (ordinal), so equal sets compare and group equal.</summary>
    public static IReadOnlyList<string> NormalizeTags(IEnumerable<string?> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            if (NormalizeTag(tag) is { } normalized)
            {
                set.Add(normalized);
            }
        }

        return [.. set];
    }
}
