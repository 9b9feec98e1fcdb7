using System.Text.Json;
using Sync.Emitter;

namespace Sync.Sandbox.Tests.Emitter;

public sealed class When_webhooks_are_emitted
{
    private static IReadOnlyList<SourceEvent> Workload(int events) =>
        WorkloadGenerator.Generate(new WorkloadOptions { Events = events, Locations = 2, ContactsPerLocation = 20, Seed = 7, RunId = "test" });

    [Test]
    public async Task Should_deliver_source_events_whose_signatures_the_receiver_verifies()
    {
        var secret = StandardWebhookSigner.GenerateSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret: secret);
        using var http = new HttpClient();
        var events = Workload(50);

        var report = await new WebhookEmitter(http, new StandardWebhookSigner(secret), new EmitterOptions { Target = receiver.Address })
            .SendAsync([.. events.Select(e => e.ToOutgoing())]);

        Assert.That(report.Entries.Select(e => e.Status), Is.All.EqualTo(200));
        Assert.That(receiver.Received.Select(r => r.WebhookId), Is.EquivalentTo(events.Select(e => e.Id)));
    }

    [Test]
    public async Task Should_deliver_platform_events_whose_Ed25519_signatures_the_receiver_verifies()
    {
        using var key = Ed25519WebhookSigner.Generate();
        await using var receiver = await WebhookReceiver.StartAsync(ed25519PublicSpki: key.PublicKeySpkiBase64);
        using var http = new HttpClient();
        var events = WorkloadGenerator.ToPlatformEvents(Workload(30));

        var report = await new WebhookEmitter(http, new PlatformWebhookSigner(key), new EmitterOptions { Target = receiver.Address })
            .SendAsync([.. events.Select(e => e.ToOutgoing())]);

        Assert.That(report.Entries.Select(e => e.Status), Is.All.EqualTo(200));
        var first = JsonDocument.Parse(receiver.Received.First(r => r.Body.Contains("ContactCreate", StringComparison.Ordinal)).Body).RootElement;
        Assert.That(first.GetProperty("webhookId").GetString(), Is.Not.Empty);
        Assert.That(first.GetProperty("timestamp").GetString(), Is.Not.Empty);
        Assert.That(first.GetProperty("appId").GetString(), Is.Not.Empty);
        Assert.That(first.GetProperty("versionId").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task Should_retry_a_send_answered_5xx_or_429_with_the_same_webhook_id_until_it_is_answered_2xx()
    {
        var secret = StandardWebhookSigner.GenerateSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret: secret, firstAnswers: [503, 429]);
        using var http = new HttpClient();
        var events = Workload(1);

        var report = await new WebhookEmitter(http, new StandardWebhookSigner(secret),
                new EmitterOptions { Target = receiver.Address, MaxAttempts = 5, RetryDelay = TimeSpan.FromMilliseconds(10) })
            .SendAsync([.. events.Select(e => e.ToOutgoing())]);

        Assert.Multiple(() =>
        {
            Assert.That(report.Entries.Single().Attempts, Is.EqualTo(new[] { 503, 429, 200 }));
            Assert.That(report.Entries.Single().Status, Is.EqualTo(200));
            Assert.That(receiver.Received.Select(r => r.WebhookId), Is.EqualTo(Enumerable.Repeat(events[0].Id, 3)));
            Assert.That(receiver.Received.Select(r => r.Valid), Is.All.True);
        });
    }

    [Test]
    public async Task Should_not_retry_a_send_refused_with_another_4xx()
    {
        var secret = StandardWebhookSigner.GenerateSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret: secret);
        using var http = new HttpClient();

        var report = await new WebhookEmitter(http, new StandardWebhookSigner(StandardWebhookSigner.GenerateSecret()),
                new EmitterOptions { Target = receiver.Address, MaxAttempts = 5, RetryDelay = TimeSpan.FromMilliseconds(10) })
            .SendAsync([.. Workload(1).Select(e => e.ToOutgoing())]);

        Assert.That(report.Entries.Single().Attempts, Is.EqualTo(new[] { 401 }));
    }

    [Test]
    public async Task Should_write_one_ledger_line_per_send()
    {
        var secret = StandardWebhookSigner.GenerateSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret: secret);
        using var http = new HttpClient();
        var ledger = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"ledger-{Guid.NewGuid():N}.jsonl");
        try
        {
            var report = await new WebhookEmitter(http, new StandardWebhookSigner(secret),
                    new EmitterOptions { Target = receiver.Address, LedgerPath = ledger, DuplicatePercent = 20, Seed = 3 })
                .SendAsync([.. Workload(40).Select(e => e.ToOutgoing())]);

            var lines = (await File.ReadAllLinesAsync(ledger)).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
            Assert.That(lines, Has.Length.EqualTo(report.Sent));
            Assert.That(lines.Select(l => l.GetProperty("status").GetInt32()), Is.All.EqualTo(200));
            Assert.That(lines.Count(l => l.GetProperty("duplicate").GetBoolean()), Is.EqualTo(report.Entries.Count(e => e.Duplicate)));
            Assert.That(lines.Select(l => l.GetProperty("locationId").GetString()), Is.All.Not.Empty);
            Assert.That(lines.Select(l => l.GetProperty("latencyMs").GetDouble()), Is.All.GreaterThanOrEqualTo(0));
        }
        finally
        {
            File.Delete(ledger);
        }
    }

    [Test]
    public async Task Should_precede_some_events_with_forged_copies_the_receiver_rejects()
    {
        var secret = StandardWebhookSigner.GenerateSecret();
        await using var receiver = await WebhookReceiver.StartAsync(secret: secret);
        using var http = new HttpClient();
        var events = Workload(100);

        var report = await new WebhookEmitter(http, new StandardWebhookSigner(secret),
                new EmitterOptions { Target = receiver.Address, BadSignaturePercent = 20, Seed = 5 })
            .SendAsync([.. events.Select(e => e.ToOutgoing())]);

        var bad = report.Entries.Where(e => e.BadSignature).ToArray();
        Assert.That(bad, Is.Not.Empty);
        Assert.That(bad.Select(e => e.Status), Is.All.EqualTo(401));
        Assert.That(receiver.Received.Where(r => r.Valid).Select(r => r.WebhookId).Distinct(), Is.EquivalentTo(events.Select(e => e.Id)));
    }

    [Test]
    public void Should_repeat_about_the_requested_share_of_events_with_the_same_id_and_body()
    {
        var events = Workload(1000).Select(e => e.ToOutgoing()).ToArray();
        var emitter = new WebhookEmitter(new HttpClient(), new StandardWebhookSigner(StandardWebhookSigner.GenerateSecret()),
            new EmitterOptions { Target = new Uri("http://127.0.0.1:9/"), DuplicatePercent = 10, Seed = 11 });

        var plan = emitter.Plan(events).ToList();

        var duplicates = plan.Where(p => p.Duplicate).ToArray();
        Assert.That(duplicates, Has.Length.InRange(70, 130));
        Assert.That(plan.Count(p => !p.Duplicate), Is.EqualTo(events.Length));
        foreach (var duplicate in duplicates)
        {
            var original = plan.First(p => !p.Duplicate && p.Webhook.Id == duplicate.Webhook.Id);
            Assert.That(plan.IndexOf(original), Is.LessThan(plan.IndexOf(duplicate)));
            Assert.That(duplicate.Webhook.Body, Is.EqualTo(original.Webhook.Body));
        }
    }

    [Test]
    public void Should_send_held_back_events_after_later_ones_without_losing_any()
    {
        var events = Workload(500).Select(e => e.ToOutgoing()).ToArray();
        var emitter = new WebhookEmitter(new HttpClient(), new StandardWebhookSigner(StandardWebhookSigner.GenerateSecret()),
            new EmitterOptions { Target = new Uri("http://127.0.0.1:9/"), OutOfOrderPercent = 10, Seed = 13 });

        var plan = emitter.Plan(events).ToList();

        var order = plan.Select(p => Array.IndexOf(events, p.Webhook)).ToArray();
        var inversions = order.Zip(order.Skip(1)).Count(pair => pair.First > pair.Second);
        Assert.That(plan.Select(p => p.Webhook.Id), Is.EquivalentTo(events.Select(e => e.Id)));
        Assert.That(plan.Count(p => p.OutOfOrder), Is.InRange(25, 75));
        Assert.That(inversions, Is.GreaterThan(0));
    }
}
