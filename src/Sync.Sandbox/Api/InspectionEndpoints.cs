using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Sync.Sandbox.Api;

/// <summary>
/// <c>/_sandbox</c>: what tests and operators use to set the sandbox up and look inside. Not part of the API: no
/// bearer, no Version header, no rate limit, no faults, not counted.
/// </summary>
internal sealed class InspectionEndpoints(SandboxState state)
{
    public static void Map(IEndpointRouteBuilder routes, InspectionEndpoints endpoints)
    {
        var group = routes.MapGroup("/_sandbox");
        group.MapGet("/health", endpoints.HealthAsync);
        group.MapPost("/oauth/codes", endpoints.IssueCodeAsync);
        group.MapPost("/tokens", endpoints.RegisterTokenAsync);
        group.MapPost("/locations/{locationId}/revoke", endpoints.RevokeAsync);
        group.MapPut("/oauth/clients/{clientId}/secret", endpoints.ChangeClientSecretAsync);
        group.MapGet("/locations/{locationId}/contacts", endpoints.ContactsAsync);
        group.MapPost("/locations/{locationId}/contacts", endpoints.SeedAsync);
        group.MapPut("/locations/{locationId}/customFields", endpoints.DefineCustomFieldsAsync);
        group.MapGet("/requests", endpoints.RequestsAsync);
        group.MapPost("/reset", endpoints.ResetAsync);
        group.MapGet("/limits", endpoints.GetLimitsAsync);
        group.MapPut("/limits", endpoints.SetLimitsAsync);
        group.MapGet("/faults", endpoints.GetFaultsAsync);
        group.MapPut("/faults", endpoints.SetFaultsAsync);
        group.MapDelete("/faults", endpoints.ClearFaultsAsync);
    }

    public Task HealthAsync(HttpContext context) =>
        context.JsonAsync(200, new InspectionMessage("ok", context.TraceId()), SandboxJson.Default.InspectionMessage);

    public async Task IssueCodeAsync(HttpContext context)
    {
        var request = await ReadAsync(context, SandboxJson.Default.CodeRequest);
        if (request is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(request.LocationId))
        {
            await context.ValidationAsync(["locationId should not be empty"]);
            return;
        }

        if (request.AccessTokenLifetimeSeconds is < 1)
        {
            await context.ValidationAsync(["accessTokenLifetimeSeconds must not be less than 1"]);
            return;
        }

        var clientId = request.ClientId ?? state.Options.EffectiveClients[0].ClientId;
        if (!state.Options.EffectiveClients.Any(c => c.ClientId == clientId))
        {
            await context.ValidationAsync([$"clientId {clientId} is not a configured OAuth client"]);
            return;
        }

        var code = state.Tokens.IssueAuthorizationCode(request.LocationId, request.CompanyId, clientId, request.AccessTokenLifetimeSeconds);
        await context.JsonAsync(201, new CodeResponse(code, request.LocationId, clientId, context.TraceId()), SandboxJson.Default.CodeResponse);
    }

    public async Task RegisterTokenAsync(HttpContext context)
    {
        var request = await ReadAsync(context, SandboxJson.Default.PrivateTokenRequest);
        if (request is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(request.LocationId))
        {
            await context.ValidationAsync(["locationId should not be empty"]);
            return;
        }

        if (request.ExpiresInSeconds is < 1)
        {
            await context.ValidationAsync(["expiresInSeconds must not be less than 1"]);
            return;
        }

        var grant = state.Tokens.RegisterPrivateToken(request.LocationId, request.Token, request.AppId, request.ExpiresInSeconds);
        await context.JsonAsync(201,
            new PrivateTokenResponse(grant.Token, request.LocationId, grant.AppId,
                grant.ExpiresAt == DateTimeOffset.MaxValue ? null : grant.ExpiresAt, context.TraceId()),
            SandboxJson.Default.PrivateTokenResponse);
    }

    public Task RevokeAsync(HttpContext context)
    {
        var locationId = (string)context.Request.RouteValues["locationId"]!;
        var revoked = state.Tokens.RevokeLocation(locationId);
        return context.JsonAsync(200, new RevokeResponse(locationId, revoked, context.TraceId()), SandboxJson.Default.RevokeResponse);
    }

    /// <summary>Rotates an OAuth client's secret: refreshes with the old one are answered 401 <c>invalid_client</c>.</summary>
    public async Task ChangeClientSecretAsync(HttpContext context)
    {
        var clientId = (string)context.Request.RouteValues["clientId"]!;
        var request = await ReadAsync(context, SandboxJson.Default.ClientSecretRequest);
        if (request is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(request.ClientSecret))
        {
            await context.ValidationAsync(["clientSecret should not be empty"]);
            return;
        }

        if (!state.Tokens.ChangeClientSecret(clientId, request.ClientSecret))
        {
            await context.ErrorAsync(404, $"clientId {clientId} is not a configured OAuth client");
            return;
        }

        await context.JsonAsync(200, new InspectionMessage($"the secret of {clientId} was changed", context.TraceId()), SandboxJson.Default.InspectionMessage);
    }

    public Task ContactsAsync(HttpContext context)
    {
        var locationId = (string)context.Request.RouteValues["locationId"]!;
        var contacts = state.Contacts.ForLocation(locationId);
        return context.JsonAsync(200, new LocationContactsResponse(locationId, contacts.Count, contacts, context.TraceId()),
            SandboxJson.Default.LocationContactsResponse);
    }

    /// <summary>Creates or updates contacts directly (same rules as the upsert), e.g. to prepare a large location quickly.</summary>
    public async Task SeedAsync(HttpContext context)
    {
        var locationId = (string)context.Request.RouteValues["locationId"]!;
        var (body, error) = await JsonBody.ReadAsync(context.Request);
        if (body is null)
        {
            await context.ErrorAsync(400, error!);
            return;
        }

        using (body)
        {
            if (!body.Root.TryGetProperty("contacts", out var contacts) || contacts.ValueKind != JsonValueKind.Array)
            {
                await context.ValidationAsync(["contacts must be an array"]);
                return;
            }

            var patches = new List<Contacts.ContactPatch>();
            foreach (var item in contacts.EnumerateArray())
            {
                var one = JsonBody.Of(item);
                if (item.ValueKind != JsonValueKind.Object)
                {
                    await context.ValidationAsync(["each value in contacts must be an object"]);
                    return;
                }

                var patch = ContactEndpoints.ReadPatch(one);
                if (patch.CustomFields is { } given)
                {
                    patch.CustomFields = state.CustomFields.Resolve(locationId, given, one.Errors);
                }

                patches.Add(patch);
                if (one.Errors.Count > 0)
                {
                    await context.ValidationAsync(one.Errors);
                    return;
                }
            }

            var ids = patches.Select(p => state.Contacts.Upsert(locationId, p).Contact.Id).ToArray();
            await context.JsonAsync(201, new SeedResponse(ids, context.TraceId()), SandboxJson.Default.SeedResponse);
        }
    }

    /// <summary>
    /// <c>PUT /_sandbox/locations/{locationId}/customFields</c> <c>{"customFields": [{"fieldKey", "name"?, "dataType"?}]}</c>:
    /// replaces the location's definitions (a key defined before keeps its id) and answers them.
    /// </summary>
    public async Task DefineCustomFieldsAsync(HttpContext context)
    {
        var locationId = (string)context.Request.RouteValues["locationId"]!;
        var (body, error) = await JsonBody.ReadAsync(context.Request);
        if (body is null)
        {
            await context.ErrorAsync(400, error!);
            return;
        }

        using (body)
        {
            if (!body.Root.TryGetProperty("customFields", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                await context.ValidationAsync(["customFields must be an array"]);
                return;
            }

            var fields = new List<(string, string?, string?)>();
            foreach (var item in items.EnumerateArray())
            {
                var key = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("fieldKey", out var k) && k.ValueKind == JsonValueKind.String
                    ? k.GetString()
                    : null;
                if (string.IsNullOrWhiteSpace(key) || key.Trim() is "contact.")
                {
                    await context.ValidationAsync(["each value in customFields must be an object with a non-empty fieldKey"]);
                    return;
                }

                fields.Add((key, Text(item, "name"), Text(item, "dataType")));
            }

            var defined = state.CustomFields.Define(locationId, fields);
            await context.JsonAsync(200, new CustomFieldsResponse(defined, context.TraceId()), SandboxJson.Default.CustomFieldsResponse);
        }

        static string? Text(JsonElement item, string name) =>
            item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    public Task RequestsAsync(HttpContext context)
    {
        var counts = state.Requests.Snapshot();
        return context.JsonAsync(200, new RequestCountsResponse(counts.Sum(c => c.Count), counts, context.TraceId()),
            SandboxJson.Default.RequestCountsResponse);
    }

    public Task ResetAsync(HttpContext context)
    {
        state.Reset();
        return context.JsonAsync(200, new InspectionMessage("reset", context.TraceId()), SandboxJson.Default.InspectionMessage);
    }

    public Task GetLimitsAsync(HttpContext context) =>
        context.JsonAsync(200, state.Limits.Current, SandboxJson.Default.SandboxRateLimitOptions);

    public async Task SetLimitsAsync(HttpContext context)
    {
        var limits = await ReadAsync(context, SandboxJson.Default.SandboxRateLimitOptions);
        if (limits is null)
        {
            return;
        }

        var errors = SandboxOptionsValidator.Check(limits);
        if (errors.Count > 0)
        {
            await context.ValidationAsync(errors);
            return;
        }

        state.Limits.Set(limits);
        await context.JsonAsync(200, state.Limits.Current, SandboxJson.Default.SandboxRateLimitOptions);
    }

    public Task GetFaultsAsync(HttpContext context) =>
        context.JsonAsync(200, state.Faults.Current, SandboxJson.Default.SandboxFaultOptions);

    public async Task SetFaultsAsync(HttpContext context)
    {
        var faults = await ReadAsync(context, SandboxJson.Default.SandboxFaultOptions);
        if (faults is null)
        {
            return;
        }

        var errors = SandboxOptionsValidator.Check(faults);
        if (errors.Count > 0)
        {
            await context.ValidationAsync(errors);
            return;
        }

        state.Faults.Set(faults);
        await context.JsonAsync(200, state.Faults.Current, SandboxJson.Default.SandboxFaultOptions);
    }

    public Task ClearFaultsAsync(HttpContext context)
    {
        state.Faults.Clear();
        return context.JsonAsync(200, state.Faults.Current, SandboxJson.Default.SandboxFaultOptions);
    }

    private static async Task<T?> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            var value = context.Request.ContentLength == 0 ? null : await context.Request.ReadFromJsonAsync(type, context.RequestAborted);
            if (value is null)
            {
                await context.ErrorAsync(400, "A JSON body is required.");
            }

            return value;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            await context.ErrorAsync(400, "The body is not valid JSON for this endpoint: " + ex.Message);
            return null;
        }
    }
}
