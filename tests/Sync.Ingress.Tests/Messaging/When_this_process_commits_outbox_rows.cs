using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sync.Contracts;
using Sync.Ingress.Tests.Support;
using Sync.Messaging.Outbox;
using Sync.Storage;

namespace Sync.Ingress.Tests.Messaging;

/// <summary>
/// A relay whose poll is 30 s away publishes rows its own process commits at once: the commit of a unit of work that
/// enqueued outbox rows wakes it (<see cref="OutboxSignal"/>), so a tag command does not wait for the next poll.
/// </summary>
[TestFixture]
public sealed class When_this_process_commits_outbox_rows
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(30);
    private OutboxRelayRig _rig = null!;
    private WebhookQueue _queue = null!;
    private IHost _host = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _rig = await OutboxRelayRig.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Sync:Outbox:PollInterval"] = Poll.ToString(),
        });
        _queue = _rig.Queue;
        _host = _rig.Host;

        // Past the relay's first look at the outbox, which found nothing: from here only a wake-up or the poll finds rows.
        await Task.Delay(TimeSpan.FromSeconds(2));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_rig is not null)
        {
            await _rig.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_publish_them_long_before_the_next_poll()
    {
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        var started = Stopwatch.StartNew();
        await using (var unitOfWork = await _host.Services.GetRequiredService<IUnitOfWorkFactory>().BeginAsync(CancellationToken.None))
        {
            var rows = ids.Select(id => OutboxSerializer.ForPublish(
                new WebhookReceived("crm", $"evt-{id:N}", "contact.upserted", "loc-1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "{}"), id, DateTimeOffset.UtcNow)).ToList();
            await _host.Services.GetRequiredService<IOutboxStore>().EnqueueAsync(unitOfWork, rows, CancellationToken.None);
            await unitOfWork.CommitAsync(CancellationToken.None);
        }

        var seen = await _queue.WaitForAsync((uint)ids.Count, Poll / 3);
        var took = started.Elapsed;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen, Is.EqualTo(ids.Count));
            Assert.That(took, Is.LessThan(Poll / 3), "published on the commit's wake-up, not on the poll");
        }
    }
}
