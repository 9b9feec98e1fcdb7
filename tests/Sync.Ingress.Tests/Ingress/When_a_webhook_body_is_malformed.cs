using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// Bodies a lenient reader would trip over later: each is a permanently bad event, answered 400 <c>invalid-event</c>
/// (never 429, which would make the sender retry it), logged as one warning line without a stack trace, never published.
/// </summary>
[TestFixture]
public sealed class When_a_webhook_body_is_malformed : IngressFixture
{
    private int _logLinesBefore;

    [SetUp]
    public async Task Note_the_log_and_empty_the_queue()
    {
        await Queue.DrainAsync();
        _logLinesBefore = Ingress.Logs.Lines.Count;
    }

    [TearDown]
    public async Task Should_have_published_nothing_and_logged_no_error()
    {
        var lines = Ingress.Logs.Lines.Skip(_logLinesBefore).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(await Queue.CountAsync(), Is.Zero);
            Assert.That(lines.Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal)), Is.Empty);
            Assert.That(lines, Has.None.Contain("   at "), "no stack trace");
            Assert.That(lines.Count(l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("rejected: Invalid event (400)", StringComparison.Ordinal)),
                Is.EqualTo(1), string.Join(Environment.NewLine, lines));
        });
    }

    [Test]
    public async Task Should_answer_400_for_an_invalid_utf8_byte_inside_a_string()
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-bad-utf8", DateTimeOffset.UtcNow, b => b["firstName"] = "J#ne");
        body[Array.IndexOf(body, (byte)'#')] = 0xFF;

        await ExpectInvalidEventAsync(await PostSignedPlatformAsync(body));
    }

    [Test]
    public async Task Should_answer_400_for_a_lone_surrogate_escape()
    {
        var body = Replace(EventBodies.Platform("ContactCreate", KnownLocation, "wh-surrogate", DateTimeOffset.UtcNow, b => b["firstName"] = "LONE"),
            "\"LONE\"", "\"\\ud800\"");

        await ExpectInvalidEventAsync(await PostSignedPlatformAsync(body));
    }

    [Test]
    public async Task Should_answer_400_for_a_duplicate_key()
    {
        var body = Replace(EventBodies.Platform("ContactCreate", KnownLocation, "wh-duplicate-key", DateTimeOffset.UtcNow),
            "\"type\":\"ContactCreate\"", "\"type\":\"ContactCreate\",\"type\":\"ContactDelete\"");

        await ExpectInvalidEventAsync(await PostSignedPlatformAsync(body));
    }

    [Test]
    public async Task Should_answer_400_for_a_source_event_with_a_lone_surrogate_escape()
    {
        var body = Replace(EventBodies.Source("contact.upserted", "evt-surrogate", KnownLocation, DateTimeOffset.UtcNow), "\"Jane\"", "\"\\udfff\"");

        await ExpectInvalidEventAsync(await PostSignedSourceAsync(body, "evt-surrogate"));
    }

    [Test]
    public async Task Should_answer_400_for_a_chunked_body_cut_short()
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-cut-short", DateTimeOffset.UtcNow);
        var half = body.Length / 2;
        var chunk = Encoding.ASCII.GetBytes($"{half:x}\r\n").Concat(body.Take(half)).Concat("\r\n"u8.ToArray()).ToArray();

        // The sender goes away mid-body, so no answer can reach it: the ingress's own line says how it was taken.
        using (var client = await SendRawAsync(Signer.Sign(body), chunk))
        {
        }

        Assert.That(await WaitForWebhookLineAsync(), Does.Contain("rejected: Invalid event (400)"));
    }

    [Test]
    public async Task Should_answer_400_for_a_malformed_chunk()
    {
        var body = EventBodies.Platform("ContactCreate", KnownLocation, "wh-bad-chunk", DateTimeOffset.UtcNow);

        using var client = await SendRawAsync(Signer.Sign(body), "zz\r\n{}\r\n0\r\n\r\n"u8.ToArray());

        Assert.That(await ReadStatusAsync(client), Is.EqualTo(400));
    }

    private static byte[] Replace(byte[] body, string from, string to)
    {
        var text = Encoding.UTF8.GetString(body);
        Assert.That(text, Does.Contain(from));
        return Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
    }

    private static async Task ExpectInvalidEventAsync(HttpResponseMessage response) =>
        Assert.That(ProblemType(await ReadProblemAsync(response, HttpStatusCode.BadRequest)), Is.EqualTo("invalid-event"));

    /// <summary>Sends a chunked request by hand, headers and then <paramref name="chunkedBody"/> as given.</summary>
    private async Task<TcpClient> SendRawAsync(string signature, byte[] chunkedBody)
    {
        var client = new TcpClient();
        await client.ConnectAsync(Ingress.Address.Host, Ingress.Address.Port);
        var stream = client.GetStream();
        var head = "POST /webhooks/hoopai HTTP/1.1\r\n" +
                   $"Host: {Ingress.Address.Authority}\r\n" +
                   "Content-Type: application/json\r\n" +
                   "Transfer-Encoding: chunked\r\n" +
                   $"X-GHL-Signature: {signature}\r\n" +
                   "Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(chunkedBody);
        await stream.FlushAsync();
        return client;
    }

    /// <summary>Reads the answer's status, checking a 400 is an <c>invalid-event</c> problem.</summary>
    private static async Task<int> ReadStatusAsync(TcpClient client)
    {
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(statusLine, Does.StartWith("HTTP/1.1 "), "no answer");
        var status = int.Parse(statusLine!.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (status == 400)
        {
            var json = rest[rest.IndexOf('{', StringComparison.Ordinal)..(rest.LastIndexOf('}') + 1)];
            Assert.That(JsonDocument.Parse(json).RootElement.GetProperty("type").GetString(), Is.EqualTo("urn:sync:problem:invalid-event"));
        }

        return status;
    }

    /// <summary>Waits for the ingress's line about the next webhook (event 1001 or a request failure line).</summary>
    private async Task<string> WaitForWebhookLineAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var line = Ingress.Logs.Lines.Skip(_logLinesBefore).FirstOrDefault(l => l.Contains("Webhook ", StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }

            await Task.Delay(50);
        }

        Assert.Fail("The ingress logged nothing about the request within 30 s.");
        return "";
    }
}
