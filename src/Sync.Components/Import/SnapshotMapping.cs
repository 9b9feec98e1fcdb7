using System.Text;

namespace Sync.Components.Import;

/// <summary>
/// Which column of a snapshot file (a CSV header, a JSON line's property) feeds which contact field. By default a
/// column whose name is a field's name feeds it, compared without case and ignoring <c>_</c>, <c>-</c> and spaces
/// (<c>First Name</c> and <c>first_name</c> feed <c>firstName</c>; <c>updatedAt</c> feeds <c>occurredAt</c>);
/// <c>--map column=field</c> pairs name others. Columns that feed nothing are ignored and listed in the summary.
/// </summary>
public sealed class SnapshotMapping
{
    /// <summary>The field an event's time comes from.</summary>
    public const string OccurredAtField = "occurredAt";

    /// <summary>The tags field.</summary>
    public const string TagsField = "tags";

    /// <summary>The prefix of custom fields: <c>customFields.&lt;fieldKey&gt;</c>.</summary>
    public const string CustomFieldPrefix = "customFields.";

    /// <summary>The contact's text fields a snapshot may carry, as the source-event contract names them.</summary>
    public static IReadOnlyList<string> ContactFields { get; } =
    [
        "email", "phone", "externalId", "firstName", "lastName", "name", "companyName",
        "address1", "city", "state", "postalCode", "country", "website", "timezone", "source",
    ];

    private static readonly Dictionary<string, string> Aliases = BuildAliases();

    private readonly Dictionary<string, string> _explicit;

    private SnapshotMapping(Dictionary<string, string> explicitMap) => _explicit = explicitMap;

    /// <summary>The default mapping: columns feed the fields of their names.</summary>
    public static SnapshotMapping Default { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>The columns named by <c>--map</c> (as written).</summary>
    public IReadOnlyCollection<string> ExplicitColumns => _explicit.Keys;

    /// <summary>
    /// Reads <c>column=field</c> pairs (the last <c>=</c> splits, so a column name may hold one). A field is one of
    /// <see cref="ContactFields"/>, <c>tags</c>, <c>occurredAt</c> or <c>customFields.&lt;key&gt;</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A pair is malformed or names an unknown field (the message says which).</exception>
    public static SnapshotMapping Parse(IEnumerable<string> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var split = pair.LastIndexOf('=');
            if (split <= 0 || split == pair.Length - 1)
            {
                throw new ArgumentException($"--map '{pair}' is not column=field.");
            }

            var column = pair[..split].Trim();
            var field = ResolveField(pair[(split + 1)..].Trim())
                ?? throw new ArgumentException(
                    $"--map '{pair}': unknown field '{pair[(split + 1)..].Trim()}' (fields: {string.Join(", ", ContactFields)}, tags, occurredAt, customFields.<key>).");
            if (!map.TryAdd(column, field))
            {
                throw new ArgumentException($"--map names the column '{column}' twice.");
            }
        }

        return new SnapshotMapping(map);
    }

    /// <summary>The field <paramref name="column"/> feeds, or null when it feeds none (it is ignored).</summary>
    public string? FieldOf(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return _explicit.TryGetValue(column, out var field) ? field : ResolveField(column);
    }

    /// <summary>A field name as the mapping spells it, or null when it names no field.</summary>
    public static string? ResolveField(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith(CustomFieldPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var key = name[CustomFieldPrefix.Length..].Trim();
            return key.Length > 0 ? CustomFieldPrefix + key : null;
        }

        return Aliases.GetValueOrDefault(Fold(name));
    }

    private static Dictionary<string, string> BuildAliases()
    {
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in ContactFields.Append(TagsField).Append(OccurredAtField))
        {
            aliases[Fold(field)] = field;
        }

        aliases[Fold("updatedAt")] = OccurredAtField;
        return aliases;
    }

    private static string Fold(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (c is not ('_' or '-' or ' '))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }
}
