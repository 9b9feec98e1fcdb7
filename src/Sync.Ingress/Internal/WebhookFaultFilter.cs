using Microsoft.Extensions.Options;
namespace Sync.Ingress.Internal;

/// <summary>
/// The platform drops an event answered 5xx and retries only on 429: any unexpected fault while taking a webhook is
/// logged and answered 429 with <c>Retry-After</c>, never 500.
/// </summary>
internal sealed class WebhookFaultFilter(IOptionsMonitor<IngressOptions> options, ILogger<WebhookFaultFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested && !context.HttpContext.Response.HasStarted)
        {
            // The request timeout fired (or the sender went away): nothing was promised, ask for a retry.
            IngressLog.WebhookTimedOut(logger, context.HttpContext.Request.Path);
            return Problems.TryLater(context.HttpContext, options.CurrentValue.RetryAfterSeconds,
                "The event could not be accepted in time. Retry later.");
        }
        catch (Exception ex) when (!context.HttpContext.Response.HasStarted)
        {
            IngressLog.WebhookFailed(logger, ex, context.HttpContext.Request.Path, ex.GetType().Name);
            return Problems.TryLater(context.HttpContext, options.CurrentValue.RetryAfterSeconds,
                "The event was not accepted because of a temporary fault. Retry later.");
        }
    }
}
