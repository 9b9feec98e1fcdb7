using Sync.Core;
using Sync.Messaging.Redelivery;

namespace Sync.IntegrationTests.Messaging;

[TestFixture]
public sealed class When_a_consumer_fails
{
    private readonly List<string> _errors = [];
    private RedeliveryHarness _harness = null!;

    [OneTimeSetUp]
    public async Task Start() => _harness = await RedeliveryHarness.StartAsync(1, 2);

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_come_back_through_the_wait_queues_after_a_transient_failure()
    {
        // 1 immediate retry, then redelivery 1 s later, which fails once more and is retried immediately, then succeeds.
        await _harness.PublishAsync(new Flaky("transient-3", FailureKind.Transient, 3));

        await _harness.Seen.SucceededFor("transient-3").Task.WaitAsync(TimeSpan.FromSeconds(30));

        var attempts = _harness.Seen.All.Where(a => a.Id == "transient-3").ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(attempts, Has.Length.EqualTo(4));
            Assert.That(attempts.Select(a => a.Transient), Is.EqualTo(new[] { 0, 0, 1, 1 }));
            Assert.That(attempts[2].At - attempts[1].At, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.9)), "waited in the 1 s tier");
        });
    }

    [Test]
    public async Task Should_go_to_the_error_queue_once_the_schedule_is_used_up()
    {
        await _harness.PublishAsync(new Flaky("transient-forever", FailureKind.Transient, int.MaxValue));

        var error = await WaitForErrorsAsync("transient-forever", TimeSpan.FromSeconds(40));

        // Each of the 3 deliveries (first, after 1 s, after 2 s) is tried twice (one immediate retry).
        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(1));
            Assert.That(_harness.Seen.CountFor("transient-forever"), Is.EqualTo(6));
        });
    }

    [Test]
    public async Task Should_go_straight_to_the_error_queue_on_a_permanent_failure()
    {
        await _harness.PublishAsync(new Flaky("permanent", FailureKind.Permanent, int.MaxValue));

        var error = await WaitForErrorsAsync("permanent", TimeSpan.FromSeconds(20));

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo(1));
            Assert.That(_harness.Seen.CountFor("permanent"), Is.EqualTo(1), "no retry of a permanent failure");
        });
    }

    [Test]
    public async Task Should_wait_for_a_rate_limit_without_using_up_retries()
    {
        await _harness.PublishAsync(new Flaky("limited", FailureKind.RateLimited, 4));

        await _harness.Seen.SucceededFor("limited").Task.WaitAsync(TimeSpan.FromSeconds(30));

        var attempts = _harness.Seen.All.Where(a => a.Id == "limited").ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(attempts.Select(a => a.RateLimited), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }), "no immediate retry, one wait each");
            Assert.That(attempts.Select(a => a.Transient), Has.All.Zero);
        });
    }

    [Test]
    public async Task Should_declare_the_work_queue_as_quorum_with_a_delivery_limit_and_poison_target()
    {
        var queue = await _harness.VirtualHost.GetQueueAsync(RedeliveryHarness.Queue);
        var arguments = queue.GetProperty("arguments");

        Assert.Multiple(() =>
        {
            Assert.That(queue.GetProperty("type").GetString(), Is.EqualTo("quorum"));
            Assert.That(arguments.GetProperty("x-delivery-limit").GetInt32(), Is.EqualTo(20));
            Assert.That(arguments.GetProperty("x-dead-letter-exchange").GetString(), Is.EqualTo(WorkQueuePolicy.PoisonQueue));
            Assert.That(arguments.GetProperty("x-dead-letter-strategy").GetString(), Is.EqualTo("at-least-once"));
        });
    }

    [Test]
    public async Task Should_declare_each_wait_queue_with_its_ttl_back_to_the_default_exchange()
    {
        var queue = await _harness.VirtualHost.GetQueueAsync("sync-delay-4s");
        var arguments = queue.GetProperty("arguments");

        Assert.Multiple(() =>
        {
            Assert.That(queue.GetProperty("type").GetString(), Is.EqualTo("quorum"));
            Assert.That(arguments.GetProperty("x-message-ttl").GetInt64(), Is.EqualTo(4000));
            Assert.That(arguments.GetProperty("x-dead-letter-exchange").GetString(), Is.Empty);
            Assert.That(arguments.GetProperty("x-overflow").GetString(), Is.EqualTo("reject-publish"));
        });
    }

    private async Task<int> WaitForErrorsAsync(string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                _errors.AddRange(await _harness.VirtualHost.DrainAsync($"{RedeliveryHarness.Queue}_error"));
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // The error queue is declared on the first fault.
            }

            var matching = _errors.Count(m => m.Contains($"\"id\": \"{id}\"", StringComparison.Ordinal) || m.Contains($"\"id\":\"{id}\"", StringComparison.Ordinal));
            if (matching > 0 || DateTime.UtcNow > deadline)
            {
                return matching;
            }

            await Task.Delay(250);
        }
    }
}
