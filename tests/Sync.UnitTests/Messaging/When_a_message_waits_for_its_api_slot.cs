using Sync.Core;
using Sync.Messaging.Redelivery;

namespace Sync.UnitTests.Messaging;

/// <summary>The pieces of a wait for a reserved API slot: its header form and the tiers it hops through.</summary>
public sealed class When_a_message_waits_for_its_api_slot
{
    private static readonly DelayTiers Tiers = new(DelayTiers.Default);

    [Test]
    public void Should_read_back_the_slot_it_wrote()
    {
        var slot = new ApiSlot("Loc 1", new DateTimeOffset(2026, 12, 2, 18, 0, 1, 123, TimeSpan.Zero).AddTicks(4567));

        Assert.That(ApiSlot.TryParse(slot.Format(), out var read), Is.True);
        Assert.That(read, Is.EqualTo(slot));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("loc")]
    [TestCase("loc not-a-time")]
    [TestCase(" 2026-12-02T18:00:00Z")]
    public void Should_refuse_a_header_that_is_not_a_slot(string? text) =>
        Assert.That(ApiSlot.TryParse(text, out _), Is.False);

    [TestCase(0.5, null)]
    [TestCase(1.0, 1)]
    [TestCase(1.9, 1)]
    [TestCase(37, 32)]
    [TestCase(5000, 1024)]
    public void Should_hop_through_the_longest_tier_that_does_not_overshoot(double seconds, int? tier) =>
        Assert.That(Tiers.RoundDown(TimeSpan.FromSeconds(seconds)), Is.EqualTo(tier is null ? (TimeSpan?)null : TimeSpan.FromSeconds(tier.Value)));

    [Test]
    public void Should_reach_a_slot_in_few_hops_and_come_back_ahead_of_it()
    {
        var left = TimeSpan.FromSeconds(37.4);
        var hops = new List<int>();
        while (Tiers.HopTowardsSlot(left, TimeSpan.FromSeconds(1)) is { } hop)
        {
            hops.Add((int)hop.TotalSeconds);
            left -= hop;
        }

        Assert.That(hops, Is.EqualTo(new[] { 32, 4, 1 }));
        Assert.That(left, Is.EqualTo(TimeSpan.FromSeconds(0.4)), "the rest is waited in the consumer");
    }

    [TestCase(0.2)]
    [TestCase(1.0)]
    public void Should_run_a_message_whose_slot_is_near_enough_now(double seconds) =>
        Assert.That(Tiers.HopTowardsSlot(TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(1)), Is.Null);

    [Test]
    public void Should_bring_every_message_back_between_a_fifth_of_and_1_2_times_the_near_enough_wait_before_its_slot()
    {
        var nearEnough = TimeSpan.FromSeconds(1);
        var early = new List<double>();
        for (var ms = 1_001; ms < 300_000; ms += 7)
        {
            var left = TimeSpan.FromMilliseconds(ms);
            while (Tiers.HopTowardsSlot(left, nearEnough) is { } hop)
            {
                Assert.That(hop, Is.LessThan(left), "a hop never passes the slot");
                left -= hop;
            }

            early.Add(left.TotalSeconds);
        }

        Assert.That(early.Min(), Is.GreaterThanOrEqualTo(0.2), "the broker's delays have 200 ms before the slot is missed");
        Assert.That(early.Max(), Is.LessThan(1.2), "a consumer waits less than 1.2 times the near-enough wait");
    }

    [Test]
    public void Should_bring_a_backlog_lane_message_holding_a_slot_back_to_the_work_queue() =>
        Assert.That(RedeliveryForwarder.SlotReturnQueue("webhook-received-backlog"), Is.EqualTo("webhook-received"));

    [TestCase("webhook-received")]
    [TestCase("change-contact-tags")]
    public void Should_bring_any_other_message_holding_a_slot_back_to_its_own_queue(string queue) =>
        Assert.That(RedeliveryForwarder.SlotReturnQueue(queue), Is.EqualTo(queue));
}
