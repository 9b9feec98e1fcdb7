using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing.Patterns;
using Sync.Sandbox.Limits;

namespace Sync.Sandbox.Api;

/// <summary>
/// What every API call goes through before its endpoint, in the platform's order: the <c>Version</c> header (400),
/// the bearer token (401), the rate limit (429, and the five rate-limit headers on every answer after it), then
/// injected faults. Also counts every call by route template and status. <c>/_sandbox</c> passes untouched.
/// </summary>
internal sealed class ApiGate(SandboxState state, IHostApplicationLifetime lifetime)
{
    private const string Unmatched = "(unmatched)";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint();
        var api = endpoint?.Metadata.GetMetadata<ApiEndpointMetadata>();
        if (api is null && context.Request.Path.StartsWithSegments("/_sandbox"))
        {
            await next(context);
            return;
        }

        try
        {
            if (api is null)
            {
                await context.ErrorAsync(404, $"Cannot {context.Request.Method} {context.Request.Path}");
                return;
            }

            await GateAsync(context, api, next);
        }
        finally
        {
            var route = endpoint is RouteEndpoint { RoutePattern: RoutePattern pattern } ? pattern.RawText ?? Unmatched : Unmatched;
            var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
            state.Requests.Record(context.Request.Method, route, status);
        }
    }

    private async Task GateAsync(HttpContext context, ApiEndpointMetadata api, RequestDelegate next)
    {
        if (api.IsOAuthToken)
        {
            await WithFaultsAsync(context, next, state.Faults.Plan(null, oauth: true));
            return;
        }

        var version = context.Request.Headers["Version"];
        if (version.Count != 1 || !string.Equals(version[0], SandboxOptions.ApiVersion, StringComparison.Ordinal))
        {
            await context.ErrorAsync(400, version.Count == 0
                ? "Version header is missing: send Version: " + SandboxOptions.ApiVersion + "."
                : "Version header is not a supported API version: send Version: " + SandboxOptions.ApiVersion + ".");
            return;
        }

        var outcome = state.Tokens.Authenticate(context.Request.Headers.Authorization, out var grant);
        if (outcome != AuthOutcome.Valid)
        {
            await context.ErrorAsync(401, outcome switch
            {
                AuthOutcome.Missing => "Unauthorized: no bearer token.",
                AuthOutcome.Expired => "Invalid JWT: the token has expired.",
                _ => "Invalid JWT",
            });
            return;
        }

        context.SetGrant(grant!);
        var budgetKey = grant!.LocationId ?? grant.CompanyId;
        if (state.Faults.TakeForced429(grant.LocationId))
        {
            if (!state.Faults.Forced429WithoutHeaders)
            {
                context.Response.WriteRateHeaders(state.Limits.Refused(grant.AppId, budgetKey));
            }

            await context.ErrorAsync(429, "Too Many Requests");
            return;
        }

        var decision = state.Limits.Acquire(grant.AppId, budgetKey);
        context.Response.WriteRateHeaders(decision);
        if (!decision.Allowed)
        {
            await context.ErrorAsync(429, "Too Many Requests");
            return;
        }

        var plan = state.Faults.Plan(grant.LocationId, oauth: false);
        if (plan.IsNone)
        {
            await next(context);
            return;
        }

        await WithFaultsAsync(context, next, plan);
    }

    private async Task WithFaultsAsync(HttpContext context, RequestDelegate next, FaultPlan plan)
    {
        try
        {
            if (plan.DelayMilliseconds > 0)
            {
                await Task.Delay(plan.DelayMilliseconds, context.RequestAborted);
            }

            if (plan.Hang)
            {
                using var hang = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
                await Task.Delay(plan.HangSeconds > 0 ? TimeSpan.FromSeconds(plan.HangSeconds) : Timeout.InfiniteTimeSpan, hang.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The client gave up (or the sandbox is stopping): there is no one left to answer.
            context.Abort();
            return;
        }

        if (plan.ErrorStatus == 0)
        {
            await next(context);
            return;
        }

        if (plan.ErrorAfterEffect)
        {
            // Let the call take effect, then throw its answer away and report an error instead.
            var bodyFeature = context.Features.Get<IHttpResponseBodyFeature>()!;
            var headers = context.Response.Headers.Where(h => h.Key.StartsWith("X-RateLimit", StringComparison.Ordinal)).ToArray();
            context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(Stream.Null));
            try
            {
                await next(context);
            }
            finally
            {
                context.Features.Set(bodyFeature);
            }

            context.Response.Clear();
            foreach (var (name, value) in headers)
            {
                context.Response.Headers[name] = value;
            }
        }

        await context.ErrorAsync(plan.ErrorStatus, plan.ErrorStatus switch
        {
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => "Internal server error",
        });
    }
}
