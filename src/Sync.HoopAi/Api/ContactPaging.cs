using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sync.HoopAi.Api;

/// <summary>Which listing a paging reader walks.</summary>
public enum ContactPagingMode
{
    /// <summary><c>POST /contacts/search</c> with <c>pageLimit</c> and the <c>searchAfter</c> cursor (no 10,000-record cap).</summary>
    Search,

    /// <summary>The deprecated <c>GET /contacts/</c> with <c>startAfterId</c>/<c>startAfter</c> (at most 100 a page).</summary>
    Legacy,
}

/// <summary>
/// Where a paging reader resumes: after the last contact of a page. Opaque to callers; <see cref="Serialize"/> and
/// <see cref="Parse"/> turn it into text to store (e.g. beside an export, to resume after a crash).
/// </summary>
public sealed record ContactCursor
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The listing the cursor belongs to.</summary>
    public required ContactPagingMode Mode { get; init; }

    /// <summary>Search: the <c>searchAfter</c> values of the last contact read, as the API returned them.</summary>
    public JsonElement? SearchAfter { get; init; }

    /// <summary>Legacy: the id of the last contact read (<c>startAfterId</c>).</summary>
    public string? StartAfterId { get; init; }

    /// <summary>Legacy: the last contact's creation time in epoch milliseconds (<c>startAfter</c>).</summary>
    public long? StartAfter { get; init; }

    /// <summary>The cursor as one line of JSON.</summary>
    public string Serialize() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a cursor written by <see cref="Serialize"/>.</summary>
    /// <exception cref="FormatException">The text is not a cursor.</exception>
    public static ContactCursor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ContactCursor? cursor;
        try
        {
            cursor = JsonSerializer.Deserialize<ContactCursor>(text, Json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Not a contact cursor: {ex.Message}", ex);
        }

        return cursor switch
        {
            { Mode: ContactPagingMode.Search, SearchAfter.ValueKind: JsonValueKind.Array } => cursor,
            { Mode: ContactPagingMode.Legacy, StartAfterId.Length: > 0 } => cursor,
            _ => throw new FormatException("Not a contact cursor: it names no position to resume after."),
        };
    }
}

/// <summary>One contact of a page: what Sync reads of it, and the whole object as the API returned it.</summary>
/// <param name="Contact">The fields Sync reads.</param>
/// <param name="Json">Every field the API returned (for exports).</param>
public sealed record PagedContact(ApiContact Contact, JsonElement Json);

/// <summary>One page of a location's contacts.</summary>
/// <param name="Contacts">The contacts, in the listing's order (creation time, then id).</param>
/// <param name="Total">The API's count of the location's contacts when the page was read, if it said.</param>
/// <param name="Cursor">Where to resume to read what follows this page (the previous cursor for an empty page).</param>
/// <param name="IsLast">True when nothing follows this page.</param>
public sealed record ContactPage(IReadOnlyList<PagedContact> Contacts, int? Total, ContactCursor? Cursor, bool IsLast);

/// <summary>How a paging reader walks a location's contacts.</summary>
public sealed record ContactPagingOptions
{
    /// <summary>The largest <c>pageLimit</c> the search accepts.</summary>
    public const int MaxSearchPageSize = 500;

    /// <summary>The largest <c>limit</c> the legacy listing accepts.</summary>
    public const int MaxLegacyPageSize = 100;

    /// <summary>The listing to walk (default the search).</summary>
    public ContactPagingMode Mode { get; init; } = ContactPagingMode.Search;

    /// <summary>Contacts per page: 1 to 500 for the search, 1 to 100 for the legacy listing (default 100).</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Resume after this cursor (of the same mode); null reads from the first contact.</summary>
    public ContactCursor? StartAfter { get; init; }

    /// <summary>
    /// The share of the location's burst budget the reader may take, above 0 and at most 1 (default 1: as any call).
    /// Below 1 the reader is a background reader: it only takes a call while the shared schedule leaves the rest of the
    /// budget to live traffic, and it paces itself to that share (see <see cref="IApiRateLimiter.AcquireAsync(string, double, CancellationToken)"/>).
    /// </summary>
    public double BudgetShare { get; init; } = 1.0;

    /// <summary>The longest the reader waits for budget by itself before failing (default 1 minute; a used-up daily budget is never waited for).</summary>
    public TimeSpan MaxBudgetWait { get; init; } = TimeSpan.FromMinutes(1);

    internal void Validate()
    {
        var max = Mode == ContactPagingMode.Search ? MaxSearchPageSize : MaxLegacyPageSize;
        if (PageSize < 1 || PageSize > max)
        {
            throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, $"A {Mode} page holds 1 to {max} contacts.");
        }

        if (!(BudgetShare > 0 && BudgetShare <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(BudgetShare), BudgetShare, "The budget share must be above 0 and at most 1.");
        }

        if (StartAfter is { } cursor && cursor.Mode != Mode)
        {
            throw new ArgumentException($"A {cursor.Mode} cursor cannot resume a {Mode} reader.", nameof(StartAfter));
        }
    }
}

/// <summary>How far a reader of a location's contacts is, after each page.</summary>
/// <param name="Read">Contacts read (or written) so far.</param>
/// <param name="Total">The API's count of the location's contacts, when it said.</param>
public readonly record struct ContactReadProgress(long Read, int? Total);
