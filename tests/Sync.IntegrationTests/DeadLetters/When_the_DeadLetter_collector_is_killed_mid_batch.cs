using Sync.Storage;

namespace Sync.IntegrationTests.DeadLetters;

/// <summary>
/// The collector's connection is cut by the broker while it works through a backlog (as a crash would end it) and
/// its host is stopped, three times over; a last collector finishes the work: every dead letter is stored once,
/// counted once.
/// </summary>
[TestFixture]
public sealed class When_the_DeadLetter_collector_is_killed_mid_batch
{
    private const int Messages = 400;
    private const int Kills = 3;
    private DeadLetterCollectorHarness _harness = null!;
    private long _rowsWhenKilled;
    private List<DeadLetter> _stored = null!;

    [OneTimeSetUp]
    public async Task KillAndRecover()
    {
        _harness = await DeadLetterCollectorHarness.CreateAsync();
        await _harness.DeclareTopologyAsync();
        var (connection, channel) = await _harness.OpenPublisherAsync();
        await using (connection)
        await using (channel)
        {
            var failedAt = DateTimeOffset.UtcNow.AddMinutes(-1);
            for (var i = 0; i < Messages; i++)
            {
                await _harness.PublishErrorAsync(channel, Guid.NewGuid(), $"loc-{i % 5}", failedAt.AddMilliseconds(i));
            }
        }

        // Three collectors in turn are cut off mid-stream: each cut may land between a commit and its acknowledgement.
        for (var kill = 1; kill <= Kills; kill++)
        {
            var collector = await _harness.StartCollectorAsync();
            var target = kill * Messages / (Kills + 2);
            await EventuallyAsync(async () => await _harness.RowCountAsync() >= target);
            await _harness.VirtualHost.CloseConnectionsAsync("sync-dead-letter-collector");
            await collector.StopAsync();
            collector.Dispose();
        }

        _rowsWhenKilled = await _harness.RowCountAsync();

        var second = await _harness.StartCollectorAsync();
        try
        {
            await EventuallyAsync(async () => await _harness.RowCountAsync() >= Messages && await _harness.ReadyAsync("webhook-received_error") == 0);
        }
        finally
        {
            await second.StopAsync();
            second.Dispose();
        }

        _stored = [.. (await _harness.DeadLetters.QueryAsync(new DeadLetterFilter { Take = DeadLetterFilter.MaxTake }, CancellationToken.None)).Items];
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _harness.DisposeAsync();

    [Test]
    public void Should_have_been_killed_with_work_left() => Assert.That(_rowsWhenKilled, Is.LessThan(Messages));

    [Test]
    public void Should_lose_no_DeadLetter() => Assert.That(_stored, Has.Count.EqualTo(Messages));

    [Test]
    public void Should_count_each_DeadLetter_once() =>
        Assert.That(_stored.Count(d => d.FailureCount != 1), Is.Zero, "dead letters counted more than once");

    [Test]
    public async Task Should_leave_nothing_in_the_error_queue() => Assert.That(await _harness.ReadyAsync("webhook-received_error"), Is.Zero);

    private static async Task EventuallyAsync(Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline && !await done())
        {
            await Task.Delay(100);
        }
    }
}
