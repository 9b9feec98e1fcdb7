using System.Net;
using Sync.Core;
using Sync.Ingress.Tests.Support;

namespace Sync.Ingress.Tests.Ingress;

[TestFixture]
public sealed class When_500_webhooks_arrive_at_once : IngressFixture
{
    private const int Count = 500;
    private HttpResponseMessage[] _responses = null!;

    protected override async Task AfterStartAsync()
    {
        await Ingress.WaitUntilReadyAsync("broker");
        var now = DateTimeOffset.UtcNow;
        _responses = await Task.WhenAll(Enumerable.Range(0, Count).Select(i => i % 2 == 0
            ? PostSignedPlatformAsync(EventBodies.Platform("ContactUpdate", KnownLocation, $"wh-burst-{i}", now))
            : PostSignedSourceAsync(EventBodies.Source("contact.upserted", $"evt-burst-{i}", KnownLocation, now), $"evt-burst-{i}")));
    }

    [Test]
    public void Should_answer_every_one_200() =>
        Assert.That(_responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));

    [Test]
    public async Task Should_have_queued_every_event_with_its_own_message_id()
    {
        await Queue.WaitForAsync(Count, TimeSpan.FromSeconds(90));

        var queued = (await Queue.DrainAsync()).Select(m => m.MessageId).ToHashSet();

        var expected = Enumerable.Range(0, Count)
            .Select(i => i % 2 == 0 ? DeterministicId.ForWebhook("hoopai", $"wh-burst-{i}") : DeterministicId.ForWebhook(IngressSettings.SourceName, $"evt-burst-{i}"))
            .Select(id => id.ToString())
            .ToHashSet();
        Assert.That(queued, Is.EquivalentTo(expected));
    }
}
