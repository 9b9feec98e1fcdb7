using Microsoft.Extensions.Hosting;
using Sync.Storage;
using Sync.Testing;

namespace Sync.IntegrationTests.DeadLetters;

/// <summary>Failures of each kind, as the failure path and RabbitMQ leave them, collected with the right fields.</summary>
[TestFixture]
public sealed class When_the_collector_takes_DeadLetters_off_the_broker
{
    private readonly Guid _permanent = Guid.NewGuid();
    private readonly Guid _authentication = Guid.NewGuid();
    private readonly Guid _exhausted = Guid.NewGuid();
    private readonly Guid _unclassified = Guid.NewGuid();
    private readonly Guid _poison = Guid.NewGuid();
    private readonly Guid _twice = Guid.NewGuid();
    private readonly Guid _replayOf = Guid.NewGuid();
    private readonly DateTimeOffset _failedAt = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private DeadLetterCollectorHarness _harness = null!;
    private IHost _collector = null!;
    private List<DeadLetter> _stored = null!;

    [OneTimeSetUp]
    public async Task PublishAndCollect()
    {
        _harness = await DeadLetterCollectorHarness.CreateAsync();
        _collector = await _harness.StartCollectorAsync();
        var (connection, channel) = await _harness.OpenPublisherAsync();
        await using (connection)
        await using (channel)
        {
            await _harness.PublishErrorAsync(channel, _permanent, "loc-1", _failedAt, new Dictionary<string, object?>
            {
                ["Sync-Failure-Kind"] = "permanent",
                ["Sync-Http-Status"] = 422,
                ["Sync-Api-Answer"] = """{"message":"email or phone is required","access_token":"secret-token-value"}""",
                ["Sync-Location-Id"] = "loc-1",
            });
            await _harness.PublishErrorAsync(channel, _authentication, "loc-2", _failedAt, new Dictionary<string, object?>
            {
                ["Sync-Failure-Kind"] = "authentication", ["Sync-Http-Status"] = 401, ["Sync-Api-Answer"] = "Invalid JWT",
            });
            await _harness.PublishErrorAsync(channel, _exhausted, "loc-3", _failedAt, new Dictionary<string, object?>
            {
                ["Sync-Failure-Kind"] = "retries-exhausted", ["Sync-Http-Status"] = 503, ["Sync-Transient-Redeliveries"] = 4,
            });
            await _harness.PublishErrorAsync(channel, _unclassified, "loc-4", _failedAt);
            await DeadLetterCollectorHarness.PublishPoisonAsync(channel, _poison, "loc-5", _failedAt);
            await _harness.PublishErrorAsync(channel, _twice, "loc-6", _failedAt);
            await _harness.PublishErrorAsync(channel, _twice, "loc-6", _failedAt.AddMinutes(5));

            // The permanent failure replayed and failing again: the replay carries the dead letter it replays.
            await _harness.PublishErrorAsync(channel, _permanent, "loc-1", _failedAt.AddMinutes(10), new Dictionary<string, object?>
            {
                ["Sync-Failure-Kind"] = "permanent", ["Sync-Replay-Of"] = _replayOf.ToString(),
            });
        }

        var collected = await EventuallyAsync(async () => (await _harness.DeadLetters.QueryAsync(new DeadLetterFilter(), CancellationToken.None)).Items.Sum(d => d.FailureCount) >= 8);
        Assert.That(collected, Is.True, "the collector did not store the eight failures in time");
        _stored = [.. (await _harness.DeadLetters.QueryAsync(new DeadLetterFilter(), CancellationToken.None)).Items];
    }

    [OneTimeTearDown]
    public async Task Cleanup()
    {
        await _collector.StopAsync();
        _collector.Dispose();
        await _harness.DisposeAsync();
    }

    private DeadLetter Stored(Guid messageId) => _stored.Single(d => d.MessageId == messageId.ToString() && d.ReplayOf is null);

    [Test]
    public void Should_store_a_permanent_failure_with_its_http_status_api_answer_and_location()
    {
        var d = Stored(_permanent);
        Assert.Multiple(() =>
        {
            Assert.That(d.Classification, Is.EqualTo("permanent"));
            Assert.That(d.SourceQueue, Is.EqualTo("webhook-received"));
            Assert.That(d.HttpStatus, Is.EqualTo(422));
            Assert.That(d.ApiAnswer, Does.Contain("email or phone is required"));
            Assert.That(d.LocationId, Is.EqualTo("loc-1"));
            Assert.That(d.MessageType, Is.EqualTo("Sync.Contracts.WebhookReceived"));
            Assert.That(d.FaultType, Is.EqualTo("Sync.HoopAi.HoopAiApiException"));
            Assert.That(d.FaultStackTrace, Does.Contain("WebhookReceivedConsumer"));
            Assert.That(d.Consumer, Is.EqualTo("Sync.Components.Consumers.WebhookReceivedConsumer"));
            Assert.That(d.FirstFailedAt, Is.EqualTo(_failedAt));
            Assert.That(d.Headers["MT-Reason"], Is.EqualTo("fault"));
            Assert.That(d.Body, Does.Contain("\"messageType\""));
        });
    }

    [Test]
    public void Should_never_keep_a_token_from_the_api_answer_of_a_DeadLetter() =>
        Assert.That(Stored(_permanent).ApiAnswer, Does.Not.Contain("secret-token-value"));

    [Test]
    public void Should_store_an_authentication_failure_as_such() =>
        Assert.That((Stored(_authentication).Classification, Stored(_authentication).HttpStatus), Is.EqualTo(("authentication", (int?)401)));

    [Test]
    public void Should_store_retries_exhausted_with_the_attempts_made() =>
        Assert.That((Stored(_exhausted).Classification, Stored(_exhausted).Attempts), Is.EqualTo(("retries-exhausted", (int?)5)));

    [Test]
    public void Should_classify_a_DeadLetter_without_sync_headers_from_what_is_there()
    {
        var d = Stored(_unclassified);
        Assert.Multiple(() =>
        {
            Assert.That(d.Classification, Is.EqualTo("unclassified"));
            Assert.That(d.LocationId, Is.EqualTo("loc-4"));
            Assert.That(d.FaultMessage, Is.EqualTo("HoopAI answered 422 Unprocessable Entity"));
        });
    }

    [Test]
    public void Should_store_a_poison_message_against_the_queue_it_died_on()
    {
        var d = Stored(_poison);
        Assert.Multiple(() =>
        {
            Assert.That(d.Classification, Is.EqualTo("poison"));
            Assert.That(d.SourceQueue, Is.EqualTo("webhook-received"));
            Assert.That(d.FaultMessage, Does.Contain("delivery_limit"));
            Assert.That(d.Attempts, Is.EqualTo(21));
            Assert.That(d.LastFailedAt, Is.EqualTo(_failedAt));
            Assert.That(d.Headers["x-death"], Does.Contain("delivery_limit"));
        });
    }

    [Test]
    public void Should_keep_the_same_message_failing_twice_as_one_DeadLetter_with_a_count()
    {
        var rows = _stored.Where(d => d.MessageId == _twice.ToString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(rows, Has.Count.EqualTo(1));
            Assert.That(rows[0].FailureCount, Is.EqualTo(2));
            Assert.That(rows[0].LastFailedAt, Is.EqualTo(_failedAt.AddMinutes(5)));
        });
    }

    [Test]
    public void Should_store_a_replay_that_failed_again_as_a_new_DeadLetter_linked_to_the_first()
    {
        var rows = _stored.Where(d => d.MessageId == _permanent.ToString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(rows, Has.Count.EqualTo(2));
            Assert.That(rows.Count(d => d.ReplayOf == _replayOf), Is.EqualTo(1));
            Assert.That(Stored(_permanent).FailureCount, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Should_acknowledge_every_collected_DeadLetter()
    {
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await _harness.ReadyAsync("webhook-received_error"), Is.Zero);
            Assert.That(await _harness.ReadyAsync("sync-poison"), Is.Zero);
        });
    }

    private static Task<bool> EventuallyAsync(Func<Task<bool>> done) =>
        Eventually.HoldsAsync(done, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
}
