using System.Globalization;
using System.Text.Json;
using Sync.Sandbox.Contacts;

namespace Sync.Sandbox.Api;

/// <summary>The contact endpoints of the API, as documented, with the platform's validation and location checks.</summary>
internal sealed class ContactEndpoints(SandboxState state)
{
    private static readonly HashSet<string> UpsertFields = new(StringComparer.Ordinal)
    {
        "locationId", "email", "phone", "firstName", "lastName", "name", "companyName", "address1", "city", "state",
        "postalCode", "country", "website", "timezone", "source", "dateOfBirth", "assignedTo", "gender", "dnd", "tags",
        "customFields",
    };

    private static readonly HashSet<string> TagFields = new(StringComparer.Ordinal) { "tags" };
    private static readonly HashSet<string> BulkAddFields = new(StringComparer.Ordinal) { "locationId", "contacts", "tags" };
    private static readonly HashSet<string> BulkRemoveFields = new(StringComparer.Ordinal) { "locationId", "contacts", "tags", "removeAllTags" };
    private static readonly HashSet<string> SearchFields = new(StringComparer.Ordinal) { "locationId", "pageLimit", "page", "searchAfter", "filters", "sort", "query" };

    public const int LegacyMaxLimit = 100;
    public const int SearchMaxPageLimit = 500;
    public const int SearchMaxWindow = 10_000;

    public static void Map(IEndpointRouteBuilder routes, ContactEndpoints endpoints)
    {
        routes.MapPost("/contacts/upsert", endpoints.UpsertAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapGet("/contacts/search/duplicate", endpoints.DuplicateAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapPost("/contacts/search", endpoints.SearchAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapGet("/contacts/", endpoints.ListAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapPost("/contacts/bulk/tags/update/{type}", endpoints.BulkTagsAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapGet("/contacts/{id}", endpoints.GetAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapDelete("/contacts/{id}", endpoints.DeleteAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapPost("/contacts/{id}/tags", endpoints.AddTagsAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapDelete("/contacts/{id}/tags", endpoints.RemoveTagsAsync).WithMetadata(ApiEndpointMetadata.Api);
        routes.MapGet("/locations/{locationId}/customFields", endpoints.CustomFieldsAsync).WithMetadata(ApiEndpointMetadata.Api);
    }

    /// <summary><c>GET /locations/{locationId}/customFields[?model=contact|all]</c>: the location's field definitions.</summary>
    public async Task CustomFieldsAsync(HttpContext context)
    {
        var locationId = (string)context.Request.RouteValues["locationId"]!;
        if (!context.Grant().CanAccess(locationId))
        {
            await context.ForbiddenAsync();
            return;
        }

        var model = context.Request.Query["model"].ToString();
        if (model.Length > 0 && model is not ("contact" or "opportunity" or "all"))
        {
            await context.ValidationAsync(["model must be one of the following values: contact, opportunity, all"]);
            return;
        }

        var fields = model == "opportunity" ? [] : state.CustomFields.ForLocation(locationId);
        await context.JsonAsync(200, new CustomFieldsResponse(fields, context.TraceId()), SandboxJson.Default.CustomFieldsResponse);
    }

    public async Task UpsertAsync(HttpContext context)
    {
        var (body, error) = await JsonBody.ReadAsync(context.Request);
        if (body is null)
        {
            await context.ErrorAsync(400, error!);
            return;
        }

        using (body)
        {
            body.Only(UpsertFields);
            var locationId = body.RequiredString("locationId");
            var patch = ReadPatch(body);
            if (locationId is not null && !context.Grant().CanAccess(locationId))
            {
                await context.ForbiddenAsync();
                return;
            }

            if (locationId is not null && patch.CustomFields is { } given)
            {
                patch.CustomFields = state.CustomFields.Resolve(locationId, given, body.Errors);
            }

            if (body.Errors.Count > 0)
            {
                await context.ValidationAsync(body.Errors);
                return;
            }

            var (contact, created) = state.Contacts.Upsert(locationId!, patch);
            await context.JsonAsync(created ? 201 : 200, new UpsertResponse(created, contact, context.TraceId()), SandboxJson.Default.UpsertResponse);
        }
    }

    public async Task GetAsync(HttpContext context)
    {
        var contact = await FindOwnAsync(context);
        if (contact is not null)
        {
            await context.JsonAsync(200, new ContactResponse(contact, context.TraceId()), SandboxJson.Default.ContactResponse);
        }
    }

    public async Task DeleteAsync(HttpContext context)
    {
        var contact = await FindOwnAsync(context);
        if (contact is null)
        {
            return;
        }

        if (!state.Contacts.Delete(contact.Id))
        {
            await context.ErrorAsync(404, "Contact not found");
            return;
        }

        await context.JsonAsync(200, new SucceededResponse(true, context.TraceId()), SandboxJson.Default.SucceededResponse);
    }

    public Task AddTagsAsync(HttpContext context) => ChangeTagsAsync(context, add: true);

    public Task RemoveTagsAsync(HttpContext context) => ChangeTagsAsync(context, add: false);

    public async Task DuplicateAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var locationId = query["locationId"].ToString();
        if (locationId.Length == 0)
        {
            await context.ValidationAsync(["locationId should not be empty"]);
            return;
        }

        if (!context.Grant().CanAccess(locationId))
        {
            await context.ForbiddenAsync();
            return;
        }

        var errors = new List<string>();
        string? email = null, phone = null;
        if (query["email"].ToString() is { Length: > 0 } rawEmail)
        {
            email = ContactPatch.NormalizeEmail(rawEmail);
        }

        if (query["number"].ToString() is { Length: > 0 } rawNumber)
        {
            phone = ContactPatch.NormalizePhone(rawNumber);
            if (phone is null)
            {
                errors.Add("number must be a valid phone number");
            }
        }

        if (errors.Count > 0)
        {
            await context.ValidationAsync(errors);
            return;
        }

        var contact = email is null && phone is null ? null : state.Contacts.FindDuplicate(locationId, email, phone);
        await context.JsonAsync(200, new ContactResponse(contact, context.TraceId()), SandboxJson.Default.ContactResponse);
    }

    public async Task BulkTagsAsync(HttpContext context)
    {
        var type = context.Request.RouteValues["type"] as string;
        var (body, error) = await JsonBody.ReadAsync(context.Request);
        if (body is null)
        {
            await context.ErrorAsync(400, error!);
            return;
        }

        using (body)
        {
            var add = type == "add";
            if (type is not ("add" or "remove"))
            {
                body.Errors.Add("type must be one of the following values: add, remove");
            }

            body.Only(add ? BulkAddFields : BulkRemoveFields);
            var locationId = body.RequiredString("locationId");
            var contacts = body.StringArray("contacts", required: true, notEmpty: true);
            var removeAll = !add && (body.OptionalBool("removeAllTags", out _) ?? false);
            var tags = body.StringArray("tags", required: !removeAll, notEmpty: !removeAll);
            var max = state.Limits.BulkTagsMaxContacts;
            if (contacts is not null && contacts.Count > max)
            {
                body.Errors.Add($"contacts must contain no more than {max} elements");
            }

            if (locationId is not null && !context.Grant().CanAccess(locationId))
            {
                await context.ForbiddenAsync();
                return;
            }

            if (body.Errors.Count > 0)
            {
                await context.ValidationAsync(body.Errors);
                return;
            }

            var normalized = ContactPatch.NormalizeTags(tags ?? []);
            var rejected = state.Faults.Current.BulkRejectTag is { } reject
                ? normalized.FirstOrDefault(t => string.Equals(t, reject.Trim(), StringComparison.OrdinalIgnoreCase))
                : null;
            var results = rejected is not null
                ? [.. contacts!.Select(id => new BulkTagResult(id, false, $"Tag {rejected} is invalid", null, null))]
                : state.Contacts.BulkTags(locationId!, contacts!, normalized, add, removeAll);
            var items = new BulkTagItem[results.Length];
            var errorCount = 0;
            for (var i = 0; i < results.Length; i++)
            {
                var r = results[i];
                if (!r.Success)
                {
                    errorCount++;
                    items[i] = new BulkTagItem(r.ContactId, "error", r.Message, null, null, null);
                }
                else
                {
                    items[i] = new BulkTagItem(r.ContactId, "success", r.Message, r.OldTags, add ? r.Changed : null, add ? null : r.Changed);
                }
            }

            if (state.Faults.Current.BulkOmitResponses)
            {
                await context.JsonAsync(201, new BulkTagSummaryResponse(errorCount < results.Length, errorCount, context.TraceId()),
                    SandboxJson.Default.BulkTagSummaryResponse);
                return;
            }

            await context.JsonAsync(201, new BulkTagResponse(errorCount < results.Length, errorCount, items, context.TraceId()),
                SandboxJson.Default.BulkTagResponse);
        }
    }

    public async Task ListAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var errors = new List<string>();
        var locationId = query["locationId"].ToString();
        if (locationId.Length == 0)
        {
            errors.Add("locationId should not be empty");
        }

        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } rawLimit)
        {
            if (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit))
            {
                errors.Add("limit must be a number conforming to the specified constraints");
            }
            else if (limit > LegacyMaxLimit)
            {
                errors.Add($"limit must not be greater than {LegacyMaxLimit}");
            }
            else if (limit < 1)
            {
                errors.Add("limit must not be less than 1");
            }
        }

        long? startAfter = null;
        if (query["startAfter"].ToString() is { Length: > 0 } rawStartAfter)
        {
            if (long.TryParse(rawStartAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                startAfter = ms;
            }
            else
            {
                errors.Add("startAfter must be a number conforming to the specified constraints");
            }
        }

        var startAfterId = query["startAfterId"].ToString() is { Length: > 0 } id ? id : null;
        if (locationId.Length > 0 && !context.Grant().CanAccess(locationId))
        {
            await context.ForbiddenAsync();
            return;
        }

        if (errors.Count > 0)
        {
            await context.ValidationAsync(errors);
            return;
        }

        var page = state.Contacts.ListLegacy(locationId, limit, startAfterId, startAfter);
        var last = page.Contacts.Count > 0 ? page.Contacts[^1] : null;
        var lastMs = last?.DateAddedMs;
        var currentPage = (page.Start / limit) + 1;
        string? next = null;
        if (page.HasMore && last is not null)
        {
            var request = context.Request;
            next = string.Create(CultureInfo.InvariantCulture,
                $"{request.Scheme}://{request.Host}/contacts/?locationId={Uri.EscapeDataString(locationId)}&limit={limit}&startAfter={lastMs}&startAfterId={Uri.EscapeDataString(last.Id)}");
        }

        var meta = new LegacyMeta(page.Total, last?.Id, lastMs, next, currentPage,
            page.HasMore ? currentPage + 1 : null, currentPage > 1 ? currentPage - 1 : null);
        await context.JsonAsync(200, new LegacyListResponse(page.Contacts, meta, context.TraceId()), SandboxJson.Default.LegacyListResponse);
    }

    public async Task SearchAsync(HttpContext context)
    {
        var (body, error) = await JsonBody.ReadAsync(context.Request);
        if (body is null)
        {
            await context.ErrorAsync(400, error!);
            return;
        }

        using (body)
        {
            body.Only(SearchFields);
            var locationId = body.RequiredString("locationId");
            var pageLimit = body.Integer("pageLimit", required: true, 1, SearchMaxPageLimit);
            var page = body.Integer("page", required: false, 1, int.MaxValue);
            var cursor = ReadCursor(body);
            var descending = ReadSort(body);
            var predicate = ReadFilters(body);
            var text = body.OptionalString("query", out _);
            if (page is not null && cursor is not null)
            {
                body.Errors.Add("page and searchAfter cannot be used together");
            }

            if (page is { } p && pageLimit is { } l && (long)p * l > SearchMaxWindow)
            {
                body.Errors.Add($"page * pageLimit must not exceed {SearchMaxWindow}: use searchAfter to page further");
            }

            if (locationId is not null && !context.Grant().CanAccess(locationId))
            {
                await context.ForbiddenAsync();
                return;
            }

            if (body.Errors.Count > 0)
            {
                await context.ValidationAsync(body.Errors);
                return;
            }

            if (!string.IsNullOrWhiteSpace(text))
            {
                var inner = predicate;
                var needle = text.Trim();
                predicate = c => (inner is null || inner(c)) && MatchesText(c, needle);
            }

            var result = state.Contacts.Search(locationId!, new SearchQuery(pageLimit!.Value, page ?? 1, cursor, descending, predicate));
            await context.JsonAsync(200, new SearchResponse(result.Contacts, result.Total, context.TraceId()), SandboxJson.Default.SearchResponse);
        }
    }

    private async Task ChangeTagsAsync(HttpContext context, bool add)
    {
        var contact = await FindOwnAsync(context);
        if (contact is null)
        {
            return;
        }

        var (body, error) = await JsonBody.ReadAsync(context.Request);
        if (body is null)
        {
            await context.ErrorAsync(400, error!);
            return;
        }

        using (body)
        {
            body.Only(TagFields);
            var tags = body.StringArray("tags", required: true, notEmpty: true);
            if (body.Errors.Count > 0)
            {
                await context.ValidationAsync(body.Errors);
                return;
            }

            var after = state.Contacts.ChangeTags(contact.Id, ContactPatch.NormalizeTags(tags!), add);
            if (after is null)
            {
                await context.ErrorAsync(404, "Contact not found");
                return;
            }

            await context.JsonAsync(add ? 201 : 200, new TagsResponse(after, context.TraceId()), SandboxJson.Default.TagsResponse);
        }
    }

    /// <summary>The contact named by the route, when it exists and belongs to the caller's location; otherwise answers 404 or 403 and returns null.</summary>
    private async Task<ContactView?> FindOwnAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["id"] as string ?? "";
        var contact = state.Contacts.Get(id, out _);
        if (contact is null)
        {
            await context.ErrorAsync(404, "Contact not found");
            return null;
        }

        if (!context.Grant().CanAccess(contact.LocationId))
        {
            await context.ForbiddenAsync();
            return null;
        }

        return contact;
    }

    /// <summary>Reads the upsert fields into a patch, validating each; shared with the sandbox's seeding endpoint.</summary>
    internal static ContactPatch ReadPatch(JsonBody body)
    {
        var patch = new ContactPatch();
        var email = body.OptionalString("email", out var emailGiven);
        if (emailGiven)
        {
            if (email is null || email.Trim().Length == 0)
            {
                patch.Values["email"] = null;
            }
            else if (!IsEmail(email))
            {
                body.Errors.Add("email must be an email");
            }
            else
            {
                patch.Values["email"] = ContactPatch.NormalizeEmail(email);
            }
        }

        var phone = body.OptionalString("phone", out var phoneGiven);
        if (phoneGiven)
        {
            if (phone is null || phone.Trim().Length == 0)
            {
                patch.Values["phone"] = null;
            }
            else if (ContactPatch.NormalizePhone(phone) is { } normalized)
            {
                patch.Values["phone"] = normalized;
            }
            else
            {
                body.Errors.Add("phone must be a valid phone number");
            }
        }

        foreach (var field in ContactPatch.StringFields)
        {
            var value = body.OptionalString(field, out var given);
            if (given)
            {
                patch.Values[field] = value;
            }
        }

        patch.Dnd = body.OptionalBool("dnd", out var dndGiven);
        patch.DndGiven = dndGiven;
        if (body.StringArray("tags", required: false, notEmpty: false) is { } tags)
        {
            patch.Tags = ContactPatch.NormalizeTags(tags);
        }

        if (body.Root.TryGetProperty("customFields", out var customFields) && customFields.ValueKind != JsonValueKind.Null)
        {
            patch.CustomFields = ReadCustomFields(body, customFields);
        }

        return patch;
    }

    private static List<KeyValuePair<string, JsonElement>>? ReadCustomFields(JsonBody body, JsonElement customFields)
    {
        if (customFields.ValueKind != JsonValueKind.Array)
        {
            body.Errors.Add("customFields must be an array");
            return null;
        }

        var result = new List<KeyValuePair<string, JsonElement>>();
        foreach (var item in customFields.EnumerateArray())
        {
            string? key = null;
            if (item.ValueKind == JsonValueKind.Object)
            {
                key = (item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null)
                    ?? (item.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null);
            }

            if (string.IsNullOrEmpty(key))
            {
                body.Errors.Add("each value in customFields must be an object with an id or a key");
                return null;
            }

            var value = item.TryGetProperty("field_value", out var v) ? v.Clone()
                : item.TryGetProperty("value", out var v2) ? v2.Clone()
                : default;
            result.Add(new(key, value));
        }

        return result;
    }

    private static SearchCursor? ReadCursor(JsonBody body)
    {
        if (!body.Root.TryGetProperty("searchAfter", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2
            && value[0].ValueKind == JsonValueKind.Number && value[0].TryGetInt64(out var ms)
            && value[1].ValueKind == JsonValueKind.String)
        {
            return new SearchCursor(ms, value[1].GetString());
        }

        body.Errors.Add("searchAfter must be the array a contact's searchAfter holds: [dateAdded, id]");
        return null;
    }

    private static bool ReadSort(JsonBody body)
    {
        if (!body.Root.TryGetProperty("sort", out var sort) || sort.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (sort.ValueKind != JsonValueKind.Array || sort.GetArrayLength() > 1)
        {
            body.Errors.Add("sort must be an array of at most one { field, direction }");
            return false;
        }

        foreach (var item in sort.EnumerateArray())
        {
            var field = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("field", out var f) ? f.GetString() : null;
            var direction = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("direction", out var d) ? d.GetString() : "asc";
            if (field != "dateAdded" || direction is not ("asc" or "desc"))
            {
                body.Errors.Add("sort: the sandbox sorts by dateAdded only, direction asc or desc");
                return false;
            }

            return direction == "desc";
        }

        return false;
    }

    private static Func<Contact, bool>? ReadFilters(JsonBody body)
    {
        if (!body.Root.TryGetProperty("filters", out var filters) || filters.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (filters.ValueKind != JsonValueKind.Array)
        {
            body.Errors.Add("filters must be an array");
            return null;
        }

        var predicates = new List<Func<Contact, bool>>();
        foreach (var filter in filters.EnumerateArray())
        {
            string? field = null, op = null, value = null;
            if (filter.ValueKind == JsonValueKind.Object)
            {
                field = filter.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
                op = filter.TryGetProperty("operator", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null;
                value = filter.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            }

            if (field is null || op is not ("eq" or "contains") || value is null)
            {
                body.Errors.Add("filters: the sandbox supports { field, operator: eq | contains, value: string } only");
                return null;
            }

            Func<Contact, string?>? selector = field switch
            {
                "email" => c => c.Email,
                "phone" => c => c.Phone,
                "firstName" => c => c.FirstName,
                "lastName" => c => c.LastName,
                "companyName" => c => c.CompanyName,
                _ => null,
            };
            if (field == "tags")
            {
                var tag = ContactPatch.NormalizeTag(value) ?? "";
                predicates.Add(c => c.Tags.Contains(tag));
            }
            else if (selector is null)
            {
                body.Errors.Add($"filters: field {field} is not supported by the sandbox (email, phone, firstName, lastName, companyName, tags)");
                return null;
            }
            else if (op == "eq")
            {
                predicates.Add(c => string.Equals(selector(c), value, StringComparison.OrdinalIgnoreCase));
            }
            else
            {
                predicates.Add(c => selector(c)?.Contains(value, StringComparison.OrdinalIgnoreCase) == true);
            }
        }

        return predicates.Count == 0 ? null : c => predicates.TrueForAll(p => p(c));
    }

    private static bool MatchesText(Contact contact, string text) =>
        contact.Email?.Contains(text, StringComparison.OrdinalIgnoreCase) == true
        || contact.Phone?.Contains(text, StringComparison.OrdinalIgnoreCase) == true
        || contact.FirstName?.Contains(text, StringComparison.OrdinalIgnoreCase) == true
        || contact.LastName?.Contains(text, StringComparison.OrdinalIgnoreCase) == true
        || contact.Name?.Contains(text, StringComparison.OrdinalIgnoreCase) == true
        || contact.CompanyName?.Contains(text, StringComparison.OrdinalIgnoreCase) == true;

    private static bool IsEmail(string email)
    {
        var trimmed = email.Trim();
        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at == trimmed.LastIndexOf('@') && at < trimmed.Length - 3
            && trimmed.IndexOf('.', at) > at + 1 && !trimmed.EndsWith('.') && !trimmed.Any(char.IsWhiteSpace);
    }
}
