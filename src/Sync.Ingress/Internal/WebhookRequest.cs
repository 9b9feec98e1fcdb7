using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Net.Http.Headers;

namespace Sync.Ingress.Internal;

/// <summary>Reading a webhook request: content type, size, raw body bytes.</summary>
internal static class WebhookRequest
{
    /// <summary>
    /// Checks the content type and size and reads the raw body, or returns the problem to answer. The body is read as
    /// bytes and never re-encoded: signatures are over exactly what was sent.
    /// </summary>
    public static async Task<(byte[]? Body, ProblemHttpResult? Problem)> ReadBodyAsync(
        HttpRequest request, int maxBytes, int retryAfterSeconds, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return (null, Problems.UnsupportedMediaType());
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, Problems.PayloadTooLarge(maxBytes));
        }

        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (limit is { IsReadOnly: false })
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 4096);
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return (null, Problems.PayloadTooLarge(maxBytes));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.PayloadTooLarge(maxBytes));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            // The sender was too slow (Kestrel's minimum data rate): a transient fault, so it is asked to retry.
            return (null, Problems.TryLater(request.HttpContext, retryAfterSeconds, "The body arrived too slowly. Retry later."));
        }
        catch (BadHttpRequestException ex)
        {
            // A malformed chunked body, or one that ended before its Content-Length or its last chunk: the sender's fault,
            // permanently.
            return (null, Problems.InvalidEvent("The request body is malformed or ended early: " + ex.Message.TrimEnd('.') + "."));
        }
        catch (Exception ex) when (ex is IOException || (ex is OperationCanceledException && !TimedOut(request.HttpContext)))
        {
            // The sender reset or aborted the connection while the body was read: nothing arrived to accept. (When the
            // request timeout fired instead, the fault filter answers 429.)
            return (null, Problems.InvalidEvent("The request body could not be read to its end (the connection was aborted)."));
        }

        return (buffer.ToArray(), null);
    }

    private static bool TimedOut(HttpContext context) =>
        context.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true;

    /// <summary><c>application/json</c>, with no charset or UTF-8.</summary>
    public static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) ||
            !mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var charset = mediaType.Charset;
        return !charset.HasValue ||
               charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) ||
               charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Milliseconds since <paramref name="startTimestamp"/> (from <see cref="Stopwatch.GetTimestamp"/>).</summary>
    public static double ElapsedMs(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
}
