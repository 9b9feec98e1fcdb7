namespace Sync.Sandbox.Api;

/// <summary><c>POST /oauth/token</c> (form-encoded code and refresh grants) and <c>POST /oauth/locationToken</c>.</summary>
internal sealed class OAuthEndpoints(SandboxState state)
{
    public static void Map(IEndpointRouteBuilder routes, OAuthEndpoints endpoints)
    {
        routes.MapPost("/oauth/token", endpoints.TokenAsync).WithMetadata(ApiEndpointMetadata.OAuthToken);
        routes.MapPost("/oauth/locationToken", endpoints.LocationTokenAsync).WithMetadata(ApiEndpointMetadata.Api);
    }

    public async Task TokenAsync(HttpContext context)
    {
        if (state.Faults.OAuthErrorStatus is var faulted and > 0)
        {
            await OAuthErrorAsync(context, faulted, faulted == 429 ? "rate_limited" : "server_error", ApiHttp.ReasonOf(faulted));
            return;
        }

        if (!context.Request.HasFormContentType)
        {
            await OAuthErrorAsync(context, 400, "invalid_request", "The body must be application/x-www-form-urlencoded.");
            return;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var fields = form.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        var outcome = state.Tokens.Exchange(fields);
        if (outcome.Token is null)
        {
            await OAuthErrorAsync(context, outcome.Status, outcome.Error!, outcome.Description!);
            return;
        }

        await context.JsonAsync(200, outcome.Token with { TraceId = context.TraceId() }, SandboxJson.Default.TokenResponse);
    }

    public async Task LocationTokenAsync(HttpContext context)
    {
        var grant = context.Grant();
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
        var companyId = form?["companyId"].ToString() ?? "";
        var locationId = form?["locationId"].ToString() ?? "";
        if (grant.UserType != "Company" || (companyId.Length > 0 && companyId != grant.CompanyId))
        {
            await context.ErrorAsync(403, "The token does not have access to this company.");
            return;
        }

        var errors = new List<string>();
        if (companyId.Length == 0)
        {
            errors.Add("companyId should not be empty");
        }

        if (locationId.Length == 0)
        {
            errors.Add("locationId should not be empty");
        }

        if (errors.Count > 0)
        {
            await context.ValidationAsync(errors);
            return;
        }

        var outcome = state.Tokens.IssueLocationToken(grant, locationId);
        await context.JsonAsync(200, outcome.Token! with { TraceId = context.TraceId() }, SandboxJson.Default.TokenResponse);
    }

    private static Task OAuthErrorAsync(HttpContext context, int status, string error, string description) =>
        context.JsonAsync(status, new OAuthErrorBody(error, description, status, context.TraceId()), SandboxJson.Default.OAuthErrorBody);
}
