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
    public void Should_reach_a_slot_in_few_hops_without_passing_it()
    {
        var left = TimeSpan.FromSeconds(37.4);
        var hops = new List<int>();
        while (Tiers.RoundDown(left) is { } hop && left > TimeSpan.FromSeconds(1))
        {
            hops.Add((int)hop.TotalSeconds);
            left -= hop;
        }

        Assert.That(hops, Is.EqualTo(new[] { 32, 4, 1 }));
        Assert.That(left, Is.GreaterThanOrEqualTo(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(1)));
    }
}
