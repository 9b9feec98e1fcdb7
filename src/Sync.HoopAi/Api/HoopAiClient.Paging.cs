using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sync.Core;

namespace Sync.HoopAi.Api;

public sealed partial class HoopAiClient
{
    /// <summary>
    /// Streams a location's contacts page by page: <c>POST /contacts/search</c> with <c>pageLimit</c> and the
    /// <c>searchAfter</c> cursor (page numbers stop at 10,000 records; the cursor does not), or the deprecated
    /// <c>GET /contacts/</c> with <c>startAfterId</c>/<c>startAfter</c> (<see cref="ContactPagingMode.Legacy"/>). Every
    /// page is one call through the same token, shared budget, circuit and transient retries as every other call; a
    /// wait for budget (Sync's own schedule or a 429) is waited out here, up to <see cref="ContactPagingOptions.MaxBudgetWait"/>
    /// at a time. Each page carries the cursor to resume after it, so a reader stopped anywhere (a crash included) goes
    /// on from the last page it finished with <see cref="ContactPagingOptions.StartAfter"/>.
    /// </summary>
    public async IAsyncEnumerable<ContactPage> ReadContactPagesAsync(
        string locationId, ContactPagingOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(locationId);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var cursor = options.StartAfter;
        while (true)
        {
            var page = await WithBudgetWaitsAsync(
                () => options.Mode == ContactPagingMode.Search
                    ? SearchPageAsync(locationId, options, cursor, cancellationToken)
                    : LegacyPageAsync(locationId, options, cursor, cancellationToken),
                options.MaxBudgetWait,
                cancellationToken);
            cursor = page.Cursor;
            yield return page;
            if (page.IsLast)
            {
                yield break;
            }
        }
    }

    private async Task<ContactPage> SearchPageAsync(string locationId, ContactPagingOptions options, ContactCursor? after, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["locationId"] = locationId,
            ["pageLimit"] = options.PageSize,
        };
        if (after?.SearchAfter is { } searchAfter)
        {
            body["searchAfter"] = searchAfter;
        }

        var response = await SendAsync<PageResponse>(HttpMethod.Post, "contacts/search", "/contacts/search", locationId, body, false, options.BudgetShare, cancellationToken)
            ?? throw new SyncFailureException(FailureKind.Transient, "POST /contacts/search answered without a body.");
        var contacts = Contacts(response);
        if (contacts.Count == 0)
        {
            return new ContactPage(contacts, response.Total, after, IsLast: true);
        }

        var last = contacts[^1].Json;
        if (!last.TryGetProperty("searchAfter", out var lastCursor) || lastCursor.ValueKind != JsonValueKind.Array)
        {
            throw new SyncFailureException(FailureKind.Transient, "POST /contacts/search answered a contact without its searchAfter cursor.");
        }

        var next = new ContactCursor { Mode = ContactPagingMode.Search, SearchAfter = lastCursor.Clone() };
        return new ContactPage(contacts, response.Total, next, IsLast: contacts.Count < options.PageSize);
    }

    private async Task<ContactPage> LegacyPageAsync(string locationId, ContactPagingOptions options, ContactCursor? after, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"contacts/?locationId={Uri.EscapeDataString(locationId)}&limit={options.PageSize}");
        if (after is { StartAfterId: { } id })
        {
            path += $"&startAfterId={Uri.EscapeDataString(id)}";
            if (after.StartAfter is { } ms)
            {
                path += string.Create(CultureInfo.InvariantCulture, $"&startAfter={ms}");
            }
        }

        var response = await SendAsync<PageResponse>(HttpMethod.Get, path, "/contacts/", locationId, null, false, options.BudgetShare, cancellationToken)
            ?? throw new SyncFailureException(FailureKind.Transient, "GET /contacts/ answered without a body.");
        var contacts = Contacts(response);
        if (contacts.Count == 0)
        {
            return new ContactPage(contacts, response.Meta?.Total, after, IsLast: true);
        }

        var next = new ContactCursor
        {
            Mode = ContactPagingMode.Legacy,
            StartAfterId = response.Meta?.StartAfterId is { Length: > 0 } lastId ? lastId : contacts[^1].Contact.Id,
            StartAfter = response.Meta?.StartAfter ?? DateAddedMs(contacts[^1].Json),
        };
        return new ContactPage(contacts, response.Meta?.Total, next, IsLast: response.Meta?.NextPageUrl is null);
    }

    private static List<PagedContact> Contacts(PageResponse response)
    {
        var contacts = new List<PagedContact>(response.Contacts?.Count ?? 0);
        foreach (var element in response.Contacts ?? [])
        {
            var contact = element.Deserialize<ApiContact>(Json);
            if (contact is not { Id.Length: > 0 })
            {
                throw new SyncFailureException(FailureKind.Transient, "A contact page held a contact without an id.");
            }

            contacts.Add(new PagedContact(contact, element));
        }

        return contacts;
    }

    private static long? DateAddedMs(JsonElement contact) =>
        contact.TryGetProperty("dateAdded", out var value) && value.ValueKind == JsonValueKind.String &&
        DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUnixTimeMilliseconds()
            : null;

    // A reader is not a message: a short wait for budget (Sync's own schedule, or a 429's reset) is waited out here and the
    // page asked again. A used-up daily budget, or a wait longer than allowed, ends the reading with the failure.
    private async Task<ContactPage> WithBudgetWaitsAsync(Func<Task<ContactPage>> read, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await read();
            }
            catch (SyncFailureException ex) when (ex.Kind is FailureKind.Throttled or FailureKind.RateLimited &&
                                                  (ex.RetryAfter ?? TimeSpan.FromSeconds(1)) <= maxWait)
            {
                var wait = ex.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromMilliseconds(100);
                LogPagingWaits(wait, ex.Message);
                await Task.Delay(wait, _time, cancellationToken);
            }
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(EventId = 3003, Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "Contact paging waits {Wait} for API budget: {Reason}")]
    private partial void LogPagingWaits(TimeSpan wait, string reason);

    private sealed record PageResponse(
        [property: JsonPropertyName("contacts")] IReadOnlyList<JsonElement>? Contacts,
        [property: JsonPropertyName("total")] int? Total,
        [property: JsonPropertyName("meta")] LegacyPageMeta? Meta);

    private sealed record LegacyPageMeta(
        [property: JsonPropertyName("total")] int? Total,
        [property: JsonPropertyName("startAfterId")] string? StartAfterId,
        [property: JsonPropertyName("startAfter")] long? StartAfter,
        [property: JsonPropertyName("nextPageUrl")] string? NextPageUrl);
}
