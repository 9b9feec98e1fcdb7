using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sync.Contracts;
using Sync.Messaging.Lanes;

namespace Sync.UnitTests.Messaging;

public sealed class When_webhooks_are_given_their_lane
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));

    [Test]
    public void Should_keep_a_locations_burst_in_the_work_queue_and_send_the_rest_to_the_backlog_lane()
    {
        var lanes = Lanes(new LaneOptions { Burst = 100, EventsPerSecond = 10 });

        var chosen = Enumerable.Range(0, 150).Select(i => lanes.Choose(Webhook("busy", i))).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(chosen.Take(100), Is.All.EqualTo(WebhookLane.Work));
            Assert.That(chosen.Skip(100), Is.All.EqualTo(WebhookLane.Backlog));
        });
    }

    [Test]
    public void Should_give_each_location_its_own_budget()
    {
        var lanes = Lanes(new LaneOptions { Burst = 3, EventsPerSecond = 1 });
        foreach (var i in Enumerable.Range(0, 10))
        {
            lanes.Choose(Webhook("busy", i));
        }

        var quiet = Enumerable.Range(0, 3).Select(i => lanes.Choose(Webhook("quiet", i))).ToList();

        Assert.That(quiet, Is.All.EqualTo(WebhookLane.Work));
    }

    [Test]
    public void Should_refill_at_the_configured_rate()
    {
        var lanes = Lanes(new LaneOptions { Burst = 10, EventsPerSecond = 10 });
        foreach (var i in Enumerable.Range(0, 10))
        {
            lanes.Choose(Webhook("busy", i));
        }

        _time.Advance(TimeSpan.FromMilliseconds(500));
        var afterHalfASecond = Enumerable.Range(10, 8).Select(i => lanes.Choose(Webhook("busy", i))).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(afterHalfASecond.Count(l => l == WebhookLane.Work), Is.EqualTo(5), "10 a second for half a second");
            Assert.That(afterHalfASecond.Skip(5), Is.All.EqualTo(WebhookLane.Backlog));
        });
    }

    [Test]
    public void Should_send_a_webhook_without_a_location_to_the_work_queue()
    {
        var lanes = Lanes(new LaneOptions { Burst = 1, EventsPerSecond = 0.01 });

        var chosen = Enumerable.Range(0, 5).Select(i => lanes.Choose(Webhook(null, i))).ToList();

        Assert.That(chosen, Is.All.EqualTo(WebhookLane.Work));
    }

    [Test]
    public void Should_send_everything_to_the_work_queue_when_switched_off()
    {
        var lanes = Lanes(new LaneOptions { Enabled = false, Burst = 1, EventsPerSecond = 0.01 });

        var chosen = Enumerable.Range(0, 5).Select(i => lanes.Choose(Webhook("busy", i))).ToList();

        Assert.That(chosen, Is.All.EqualTo(WebhookLane.Work));
    }

    [Test]
    public void Should_forget_idle_locations_beyond_the_tracked_maximum_without_forgetting_a_busy_ones_debt()
    {
        var lanes = Lanes(new LaneOptions { Burst = 2, EventsPerSecond = 0.01, MaxTrackedLocations = 16 });
        lanes.Choose(Webhook("busy", 0));
        lanes.Choose(Webhook("busy", 1));
        foreach (var i in Enumerable.Range(0, 40))
        {
            lanes.Choose(Webhook($"once-{i}", 0));
        }

        Assert.Multiple(() =>
        {
            Assert.That(lanes.TrackedLocations, Is.LessThanOrEqualTo(16));
            Assert.That(lanes.Choose(Webhook("busy", 2)), Is.EqualTo(WebhookLane.Backlog), "the busy location's empty bucket was kept");
        });
    }

    [Test]
    public void Should_name_the_backlog_lanes_exchange_as_the_destination_of_a_backlog_webhook()
    {
        Assert.Multiple(() =>
        {
            Assert.That(WebhookLanes.DestinationOf(WebhookLane.Backlog), Is.EqualTo("exchange:webhook-received-backlog?type=fanout"));
            Assert.That(WebhookLanes.DestinationOf(WebhookLane.Work), Is.EqualTo("publish"));
        });
    }

    private WebhookLanes Lanes(LaneOptions options) => new(Options.Create(options), _time);

    private static WebhookReceived Webhook(string? location, int i) =>
        new("crm", $"evt-{location}-{i}", "contact.upserted", location, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, "{}");
}
