using Sync.Emitter;
using Sync.Sandbox;

namespace Sync.IntegrationTests.Worker;

[TestFixture]
public sealed class When_a_shuffled_stream_of_source_events_with_duplicates_is_applied
{
    private WorkerHarness _worker = null!;
    private IReadOnlyList<SourceEvent> _events = null!;
    private ExpectedState _expected = null!;
    private int _tagEvents;
    private bool _converged;

    [OneTimeSetUp]
    public async Task Apply_1000_events_for_200_contacts_in_3_locations()
    {
        // The burst limit is raised so the run is quick; pacing and 429s have their own tests.
        _worker = await WorkerHarness.StartAsync(new SandboxOptions { RateLimit = { BurstLimit = 2000 } });
        _events = WorkloadGenerator.Generate(new WorkloadOptions
        {
            Locations = 3, ContactsPerLocation = 67, Events = 1000, Seed = 7, Start = DateTimeOffset.UtcNow.AddMinutes(-30),
            Interval = TimeSpan.FromMilliseconds(50),
        });
        _expected = ExpectedState.Fold(_events);
        _tagEvents = _events.Count(e => e.Type is SourceEventTypes.TagsAdded or SourceEventTypes.TagsRemoved || (e.Tags?.Count ?? 0) > 0);
        foreach (var location in _events.Select(e => e.LocationId).Distinct())
        {
            await _worker.InstallPrivateAsync(location);
        }

        // 20% duplicates, then the whole stream shuffled: no order is promised.
        var random = new Random(11);
        var stream = _events.Concat(_events.OrderBy(_ => random.Next()).Take(_events.Count / 5)).OrderBy(_ => random.Next()).ToList();
        foreach (var e in stream)
        {
            await _worker.PublishAsync(e);
        }

        _converged = await WorkerHarness.EventuallyAsync(
            () => Task.FromResult(_expected.Locations.All(l => _expected.Diff(l, _worker.ContactsOf(l)).Count == 0)),
            TimeSpan.FromMinutes(3));
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }
    }

    [Test]
    public void Should_leave_the_crm_equal_to_the_fold_of_the_events()
    {
        var differences = _expected.Locations.SelectMany(l => _expected.Diff(l, _worker.ContactsOf(l))).ToList();
        foreach (var difference in differences.Take(3))
        {
            // The history of the first contacts that differ, to tell what was lost.
            var key = difference.Split('/', 2)[1].Split(':')[0];
            var location = difference.Split('/', 2)[0];
            var actual = _worker.Sandbox.State.Contacts.ForLocation(location).FirstOrDefault(c => string.Equals(c.Email, key, StringComparison.OrdinalIgnoreCase));
            TestContext.Out.WriteLine($"{difference} (contact id {actual?.Id ?? "none"})");
            foreach (var e in _events.Where(e => string.Equals(e.ContactKey, key, StringComparison.OrdinalIgnoreCase)).OrderBy(e => e.OccurredAt))
            {
                TestContext.Out.WriteLine($"  {e.OccurredAt:HH:mm:ss.fff} {e.Id} {e.Type} [{string.Join(',', e.Tags ?? [])}]");
            }
        }

        Assert.That(differences, Is.Empty, $"converged: {_converged}");
    }

    [Test]
    public void Should_create_no_duplicate_contact()
    {
        foreach (var location in _expected.Locations)
        {
            var contacts = _worker.ContactsOf(location);

            Assert.That(contacts.Select(c => c.Email), Is.Unique, location);
            Assert.That(contacts, Has.Count.EqualTo(_expected.Live(location).Count), location);
        }
    }

    [Test]
    public void Should_make_far_fewer_bulk_calls_than_tag_events()
    {
        var requests = _worker.Sandbox.State.Requests;
        var bulkCalls = requests.Count("/contacts/bulk/tags/update/{type}");

        TestContext.Out.WriteLine($"{_tagEvents} tag events, {bulkCalls} bulk calls");
        Assert.That(bulkCalls, Is.GreaterThan(0).And.LessThan(_tagEvents / 3));
    }
}
