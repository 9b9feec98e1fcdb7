using System.Net;
using System.Text.Json;
using Sync.Core;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// Fairness starts at the door: what one location sends beyond its budget (here 100 at once, refilled so slowly that
/// nothing is refilled during the test) goes to the backlog lane, so it never sits in the work queue in front of
/// another location's events; the other location's events, within its own budget, all go to the work queue.
/// </summary>
[TestFixture]
public sealed class When_one_location_sends_more_than_its_budget : IngressFixture
{
    private const string Quiet = "loc-quiet";
    private const int Sent = 150;
    private const int QuietSent = 10;
    private WebhookQueue _work = null!;
    private WebhookQueue _backlog = null!;
    private HttpResponseMessage[] _responses = null!;

    protected override void Configure(IngressSettings settings) =>
        settings.Set("Sync:Lanes:Burst", "100").Set("Sync:Lanes:EventsPerSecond", "0.01");

    protected override async Task BeforeStartAsync()
    {
        _work = await WebhookQueue.BindAsync(VirtualHost, "probe-work-lane", WebhookQueue.Exchange);
        _backlog = await WebhookQueue.BindAsync(VirtualHost, "probe-backlog-lane", WebhookQueue.BacklogExchange);
    }

    protected override async Task AfterStartAsync()
    {
        await InstallAsync(Quiet);
        await Ingress.WaitUntilReadyAsync("broker");
        var now = DateTimeOffset.UtcNow;
        var busy = Enumerable.Range(0, Sent)
            .Select(i => PostSignedSourceAsync(EventBodies.Source("contact.upserted", $"evt-busy-{i}", KnownLocation, now), $"evt-busy-{i}"));
        var quiet = Enumerable.Range(0, QuietSent)
            .Select(i => PostSignedSourceAsync(EventBodies.Source("contact.upserted", $"evt-quiet-{i}", Quiet, now), $"evt-quiet-{i}"));
        _responses = await Task.WhenAll(busy.Concat(quiet));
    }

    [OneTimeTearDown]
    public async Task Unbind()
    {
        await _work.DisposeAsync();
        await _backlog.DisposeAsync();
    }

    [Test]
    public void Should_answer_every_one_200() =>
        Assert.That(_responses.Count(r => r.StatusCode == HttpStatusCode.OK), Is.EqualTo(Sent + QuietSent));

    [Test]
    public async Task Should_put_the_busy_locations_burst_and_every_quiet_event_in_the_work_queue_and_the_rest_in_the_backlog_lane()
    {
        await _work.WaitForAsync(100 + QuietSent, TimeSpan.FromSeconds(30));
        await _backlog.WaitForAsync(Sent - 100, TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        var work = Locations(await _work.DrainAsync());
        var backlog = Locations(await _backlog.DrainAsync());

        Assert.Multiple(() =>
        {
            Assert.That(work.Count(l => l == KnownLocation), Is.EqualTo(100), "the busy location's burst in the work queue");
            Assert.That(work.Count(l => l == Quiet), Is.EqualTo(QuietSent), "every quiet event in the work queue");
            Assert.That(backlog.Count(l => l == KnownLocation), Is.EqualTo(Sent - 100), "the busy location's excess in the backlog lane");
            Assert.That(backlog.Count(l => l == Quiet), Is.Zero, "no quiet event in the backlog lane");
        });
    }

    [Test]
    public async Task Should_give_every_event_its_own_message_id_whichever_lane_it_took()
    {
        var expected = Enumerable.Range(0, Sent).Select(i => DeterministicId.ForWebhook(IngressSettings.SourceName, $"evt-busy-{i}"))
            .Concat(Enumerable.Range(0, QuietSent).Select(i => DeterministicId.ForWebhook(IngressSettings.SourceName, $"evt-quiet-{i}")))
            .Select(id => id.ToString())
            .Order()
            .ToList();
        await Queue.WaitForAsync(Sent + QuietSent, TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        var queued = (await Queue.DrainAsync())
            .Select(m => m.MessageId!)
            .Order()
            .ToList();
        Assert.That(queued, Is.EqualTo(expected), "the fixture's probe, bound to both lanes, holds each event exactly once");
    }

    private static List<string> Locations(IReadOnlyList<(string? MessageId, string Body)> messages) =>
        [.. messages.Select(m => JsonDocument.Parse(m.Body).RootElement.GetProperty("message").GetProperty("locationId").GetString()!)];
}
