using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Sync.Emitter;
using Sync.Messaging;
using Sync.Components.Consumers;
using Sync.Storage;
using Sync.IntegrationTests.Worker;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// On a virtual host where nothing has failed before, the first dead letter of each work queue lands in its error
/// queue with MassTransit's fault headers and Sync's reasons: nothing relies on an earlier fault having created it.
/// </summary>
[TestFixture]
public sealed class When_the_first_permanent_failure_happens_on_a_new_broker
{
    private const string Location = "FailuresPermanent01";
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private WorkerHarness _harness = null!;
    private BrokerQueues _queues = null!;
    private string _token = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _harness = await WorkerHarness.StartAsync();
        _queues = await BrokerQueues.OpenAsync(_harness.VirtualHost);
        _token = await _harness.InstallPrivateAsync(Location);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_queues is not null)
        {
            await _queues.DisposeAsync();
        }

        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_have_every_error_queue_before_anything_failed()
    {
        Assert.Multiple(async () =>
        {
            Assert.That(await _queues.ExistsAsync("webhook-received_error"), Is.True);
            Assert.That(await _queues.ExistsAsync("change-contact-tags_error"), Is.True);
            Assert.That(await _queues.ExistsAsync("sync-poison"), Is.True);
        });
    }

    [Test]
    public async Task Should_dead_letter_an_event_that_cannot_be_applied_with_its_fault_headers()
    {
        // An upsert naming neither an email nor a phone can never be matched: permanent.
        var nameless = new SourceEvent(SourceEventTypes.Upserted, "evt-nameless", T0, Location, new SourceContact { FirstName = "Nobody" }, null);
        await _harness.PublishAsync(nameless);

        var count = await _queues.WaitForAsync("webhook-received_error", 1, TimeSpan.FromSeconds(30));
        var messages = await _queues.TakeAllAsync("webhook-received_error");

        Assert.That(count, Is.EqualTo(1));
        var headers = messages.Single().Headers;
        Assert.Multiple(() =>
        {
            Assert.That(headers["MT-Reason"], Is.EqualTo("fault"));
            Assert.That(headers["MT-Fault-ExceptionType"], Does.Contain("InvalidEventException"));
            Assert.That(headers["MT-Fault-Message"], Does.Contain("none of email, phone"));
            Assert.That(headers["MT-Fault-InputAddress"], Does.EndWith("/webhook-received"));
            Assert.That(headers[SyncHeaders.FailureKind], Is.EqualTo("permanent"));
            Assert.That(headers[SyncHeaders.LocationId], Is.EqualTo(Location));
            Assert.That(messages.Single().Body, Does.Contain("evt-nameless"));
        });
    }

    [Test]
    public async Task Should_dead_letter_a_tag_change_for_a_contact_the_api_no_longer_knows()
    {
        var email = "gone@example.com";
        await _harness.PublishAsync(new SourceEvent(SourceEventTypes.Upserted, "evt-gone-1", T0, Location, new SourceContact { Email = email }, null));
        Assert.That(await WorkerHarness.EventuallyAsync(() => Task.FromResult(_harness.ContactsOf(Location).Any(c => c.Email == email)), TimeSpan.FromSeconds(30)),
            Is.True, "the contact was created");

        // Deleted behind Sync's back: the index still maps the email to the old id.
        var contactId = _harness.Sandbox.State.Contacts.ForLocation(Location).Single(c => c.Email == email).Id;
        using (var http = new HttpClient { BaseAddress = _harness.Sandbox.BaseAddress })
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, $"contacts/{contactId}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
            request.Headers.Add("Version", "2021-07-28");
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }

        await _harness.PublishAsync(new SourceEvent(SourceEventTypes.TagsAdded, "evt-gone-2", T0.AddMinutes(1), Location, new SourceContact { Email = email }, ["vip"]));

        var count = await _queues.WaitForAsync("change-contact-tags_error", 1, TimeSpan.FromSeconds(30));
        var messages = await _queues.TakeAllAsync("change-contact-tags_error");

        Assert.That(count, Is.EqualTo(1));
        var headers = messages.Single().Headers;
        Assert.Multiple(() =>
        {
            Assert.That(headers["MT-Fault-Message"], Does.Contain(contactId));
            Assert.That(headers["MT-Fault-InputAddress"], Does.EndWith("/change-contact-tags"));
            Assert.That(headers[SyncHeaders.FailureKind], Is.EqualTo("permanent"));
            Assert.That(headers[SyncHeaders.LocationId], Is.EqualTo(Location));
        });
        var inbox = _harness.Services.GetRequiredService<IInboxStore>();
        Assert.That(messages.Single().Properties.MessageId, Is.Not.Null);
        Assert.That(await inbox.IsProcessedAsync(ChangeContactTagsConsumer.InboxName, Guid.Parse(messages.Single().Properties.MessageId!), CancellationToken.None),
            Is.False, "a dead letter is not marked processed");
    }
}
