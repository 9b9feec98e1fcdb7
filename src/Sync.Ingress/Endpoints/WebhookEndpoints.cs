using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sync.Core.Webhooks;
using Sync.HoopAi.Webhooks;
using Sync.Ingress.Internal;

namespace Sync.Ingress.Endpoints;

/// <summary>
/// <c>POST /webhooks/hoopai</c> (the platform) and <c>POST /webhooks/sources/{name}</c> (Standard Webhooks). Each checks
/// content type and size, verifies the signature over the raw bytes, checks the timestamp, reads the event, checks the
/// location and hands the event over durably before answering 200. See docs/webhooks.md.
/// </summary>
internal static class WebhookEndpoints
{
    public const string TimeoutPolicy = "webhooks";

    public static IEndpointRouteBuilder MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("/webhooks");
        webhooks.AddEndpointFilter<WebhookFaultFilter>().WithRequestTimeout(TimeoutPolicy);

        if (app.ServiceProvider.GetRequiredService<IOptions<IngressOptions>>().Value.Platform.Enabled)
        {
            webhooks.MapPost("/hoopai", ReceivePlatformEventAsync).WithName("ReceivePlatformWebhook");
        }

        webhooks.MapPost("/sources/{name}", ReceiveSourceEventAsync).WithName("ReceiveSourceWebhook");
        return app;
    }

    public static async Task<Results<Ok<WebhookAccepted>, ProblemHttpResult>> ReceivePlatformEventAsync(HttpContext context, WebhookIntake intake)
    {
        var started = Stopwatch.GetTimestamp();
        var receivedAt = intake.Time.GetUtcNow();
        const string source = PlatformEventReader.Source;

        var (body, problem) = await WebhookRequest.ReadBodyAsync(
            context.Request, intake.Options.MaxBodyBytes, intake.Options.RetryAfterSeconds, context.RequestAborted);
        if (problem is not null)
        {
            return intake.Reject(problem, source, started);
        }

        if (!VerifyPlatformSignature(context.Request.Headers, body!, intake.Verifiers, out var signatureProblem))
        {
            return intake.Reject(Problems.InvalidSignature(signatureProblem), source, started);
        }

        var read = PlatformEventReader.Read(body);
        if (!read.IsValid)
        {
            return intake.Reject(Problems.InvalidEvent(read.Error), source, started);
        }

        if (!intake.IsFreshPlatformEvent(read.Envelope.OccurredAt))
        {
            return intake.Reject(Problems.StaleTimestamp(intake.Options.Platform.MaxEventAge, intake.Options.TimestampTolerance), source, started, read.Envelope);
        }

        if (intake.CheckPlatformApp(read.Envelope) is { } foreign)
        {
            return intake.Reject(foreign, source, started, read.Envelope);
        }

        return await intake.AcceptAsync(context, source, read.Envelope, body!, receivedAt, started);
    }

    public static async Task<Results<Ok<WebhookAccepted>, ProblemHttpResult>> ReceiveSourceEventAsync(
        string name, HttpContext context, WebhookIntake intake)
    {
        var started = Stopwatch.GetTimestamp();
        var receivedAt = intake.Time.GetUtcNow();

        if (!intake.Verifiers.TryGetSource(name, out var source, out var verifier))
        {
            return intake.Reject(Problems.UnknownSource(name), "unknown-source", started);
        }

        var (body, problem) = await WebhookRequest.ReadBodyAsync(
            context.Request, intake.Options.MaxBodyBytes, intake.Options.RetryAfterSeconds, context.RequestAborted);
        if (problem is not null)
        {
            return intake.Reject(problem, source, started);
        }

        var headers = context.Request.Headers;
        string? webhookId = headers[StandardWebhooksVerifier.IdHeader];
        var verification = verifier.Verify(
            webhookId,
            headers[StandardWebhooksVerifier.TimestampHeader],
            headers[StandardWebhooksVerifier.SignatureHeader],
            body,
            intake.Time.GetUtcNow(),
            intake.Options.TimestampTolerance);
        switch (verification)
        {
            case StandardWebhooksVerification.Valid:
                break;
            case StandardWebhooksVerification.TimestampOutOfTolerance:
                return intake.Reject(Problems.StaleTimestamp(intake.Options.TimestampTolerance, intake.Options.TimestampTolerance), source, started);
            case StandardWebhooksVerification.MissingHeaders:
                return intake.Reject(Problems.InvalidSignature(
                    "The webhook-id, webhook-timestamp and webhook-signature headers are required."), source, started);
            case StandardWebhooksVerification.InvalidTimestamp:
                return intake.Reject(Problems.InvalidSignature("webhook-timestamp must be an integer number of unix seconds."), source, started);
            default:
                return intake.Reject(Problems.InvalidSignature("No v1 signature in webhook-signature matches a configured secret."), source, started);
        }

        var read = SourceEventReader.Read(body);
        if (!read.IsValid)
        {
            return intake.Reject(Problems.InvalidEvent(read.Error), source, started);
        }

        if (!string.Equals(read.Envelope.EventId, webhookId, StringComparison.Ordinal))
        {
            return intake.Reject(Problems.InvalidEvent("The body's id must equal the webhook-id header."), source, started, read.Envelope);
        }

        return await intake.AcceptAsync(context, source, read.Envelope, body!, receivedAt, started);
    }

    // Ed25519 (X-GHL-Signature) always; the legacy RSA x-wh-signature only when configured. Either valid one is enough.
    private static bool VerifyPlatformSignature(IHeaderDictionary headers, byte[] body, WebhookVerifiers verifiers, out string problem)
    {
        string? current = headers[Ed25519SignatureVerifier.HeaderName];
        string? legacy = headers[RsaSha256SignatureVerifier.HeaderName];
        var legacyAccepted = verifiers.LegacyPlatform is not null;

        if (string.IsNullOrEmpty(current) && (string.IsNullOrEmpty(legacy) || !legacyAccepted))
        {
            problem = legacyAccepted
                ? "An X-GHL-Signature (or x-wh-signature) header is required."
                : "An X-GHL-Signature header is required.";
            return false;
        }

        if ((!string.IsNullOrEmpty(current) && verifiers.Platform.Verify(body, current)) ||
            (legacyAccepted && !string.IsNullOrEmpty(legacy) && verifiers.LegacyPlatform!.Verify(body, legacy)))
        {
            problem = "";
            return true;
        }

        problem = "The signature does not verify against the body.";
        return false;
    }
}
