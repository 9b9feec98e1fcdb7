using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Contracts;
using Sync.Ingress.Tests.Support;
using Sync.Messaging.Outbox;
using Sync.Storage;

namespace Sync.Ingress.Tests.Messaging;

[TestFixture]
public sealed class When_several_relays_share_the_outbox
{
    private const int Rows = 300;
    private OutboxRelayRig _rig = null!;
    private WebhookQueue _queue = null!;
    private IHost _host = null!;
    private readonly List<OutboxRelay> _relays = [];
    private readonly HashSet<string> _expected = [];

    [OneTimeSetUp]
    public async Task Start()
    {
        _rig = await OutboxRelayRig.StartAsync(relay: false);
        _queue = _rig.Queue;
        _host = _rig.Host;

        var outbox = _host.Services.GetRequiredService<IOutboxStore>();
        for (var i = 0; i < Rows; i++)
        {
            var id = Guid.NewGuid();
            _expected.Add(id.ToString());
            var message = new WebhookReceived("crm", $"evt-{i}", "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}");
            await outbox.EnqueueAsync(OutboxSerializer.ForPublish(message, id, DateTimeOffset.UtcNow), CancellationToken.None);
        }

        var options = Microsoft.Extensions.Options.Options.Create(new OutboxOptions { BatchSize = 25, PollInterval = TimeSpan.FromMilliseconds(50) });
        for (var r = 0; r < 3; r++)
        {
            var relay = ActivatorUtilities.CreateInstance<OutboxRelay>(_host.Services, options);
            _relays.Add(relay);
            await relay.StartAsync(CancellationToken.None);
        }
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        foreach (var relay in _relays)
        {
            await relay.StopAsync(CancellationToken.None);
            relay.Dispose();
        }

        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_publish_every_row_exactly_once()
    {
        await _queue.WaitForAsync(Rows, TimeSpan.FromSeconds(90));

        var queued = (await _queue.DrainAsync()).Select(m => m.MessageId).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(queued, Has.Count.EqualTo(Rows));
            Assert.That(queued, Is.EquivalentTo(_expected));
        });
    }
}
