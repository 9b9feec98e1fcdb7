using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sync.Contracts;
using Sync.Core;
using Sync.IntegrationTests.Worker;

namespace Sync.IntegrationTests.Failures;

/// <summary>
/// Two worker processes apply tag batches that cross the same contacts' tags in every order: the guard's locks are
/// taken in one global order, so no batch deadlocks another, nothing is dead-lettered, and the latest operation on each
/// tag wins.
/// </summary>
[TestFixture]
public sealed class When_two_workers_cross_the_same_contacts_tags
{
    private const string Location = "FailuresCrossedTags1";
    private const int Commands = 600;
    private static readonly string[] Tags = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"];
    private WorkerHarness _harness = null!;
    private BrokerQueues _queues = null!;
    private Dictionary<string, HashSet<string>> _expected = null!;
    private bool _applied;

    [OneTimeSetUp]
    public async Task Run()
    {
        _harness = await WorkerHarness.StartAsync(new Sandbox.SandboxOptions { RateLimit = { Enabled = false } }, new Dictionary<string, string?>
        {
            ["Sync:HoopAi:RateLimitEnabled"] = "false",
            ["Sync:Worker:TagBatchMessageLimit"] = "40",
            ["Sync:Worker:TagBatchTimeLimit"] = "00:00:00.200",
        });
        await _harness.StartAnotherWorkerAsync();
        _queues = await BrokerQueues.OpenAsync(_harness.VirtualHost);
        var token = await _harness.InstallPrivateAsync(Location);
        var contacts = new List<string>();
        using var http = new HttpClient { BaseAddress = _harness.Sandbox.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Add("Version", "2021-07-28");
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.PostAsJsonAsync("contacts/upsert", new { locationId = Location, email = $"crossed{i}@example.com" });
            response.EnsureSuccessStatusCode();
            contacts.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contact").GetProperty("id").GetString()!);
        }

        // Many small commands with one to three tags each, in random order and times: batches on both workers hold the
        // same contacts' tags in opposite orders.
        var random = new Random(20261202);
        var t0 = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
        var latest = new Dictionary<(string Contact, string Tag), (DateTimeOffset At, TagOperation Operation)>();
        var bus = _harness.Services.GetRequiredService<IBus>();
        for (var i = 0; i < Commands; i++)
        {
            var contact = contacts[random.Next(contacts.Count)];
            var tags = Tags.OrderBy(_ => random.Next()).Take(random.Next(1, 4)).ToArray();
            var operation = random.Next(3) == 0 ? TagOperation.Remove : TagOperation.Add;
            var at = t0.AddSeconds(random.Next(100_000));
            foreach (var tag in tags)
            {
                if (!latest.TryGetValue((contact, tag), out var seen) || seen.At < at)
                {
                    latest[(contact, tag)] = (at, operation);
                }
            }

            await bus.Publish(new ChangeContactTags(Location, new ContactReference(contact, null, null, null), operation, tags, at, $"evt-crossed-{i}"),
                ctx => ctx.MessageId = DeterministicId.Create(DeterministicId.WebhookNamespace, $"crossed-{i}"));
        }

        _expected = contacts.ToDictionary(c => c, c => latest.Where(e => e.Key.Contact == c && e.Value.Operation == TagOperation.Add)
            .Select(e => e.Key.Tag).ToHashSet(StringComparer.Ordinal));
        _applied = await WorkerHarness.EventuallyAsync(() => Task.FromResult(Matches()), TimeSpan.FromMinutes(2));
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
    public async Task Should_never_deadlock()
    {
        await using var connection = new NpgsqlConnection(_harness.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()", connection);
        var deadlocks = (long)(await command.ExecuteScalarAsync())!;

        Assert.That(deadlocks, Is.Zero);
    }

    [Test]
    public void Should_apply_the_latest_operation_on_every_tag() => Assert.That(_applied, Is.True, Describe());

    [Test]
    public async Task Should_dead_letter_nothing() => Assert.That(await _queues.CountAsync("change-contact-tags_error"), Is.Zero);

    private bool Matches() =>
        _expected.All(e => (_harness.Sandbox.State.Contacts.Find(e.Key)?.Tags ?? []).ToHashSet(StringComparer.Ordinal).SetEquals(e.Value));

    private string Describe() => string.Join("; ", _expected.Select(e =>
        $"{e.Key}: expected [{string.Join(',', e.Value.Order())}] got [{string.Join(',', (_harness.Sandbox.State.Contacts.Find(e.Key)?.Tags ?? []).Order())}]"));
}
