using System.Text.Json;

namespace Sync.Admin.Tests.DeadLetters;

public sealed class When_listing_and_grouping_DeadLetters
{
    private AdminTestDatabase _database = null!;
    private Guid _auth;

    [OneTimeSetUp]
    public async Task Seed()
    {
        _database = await AdminTestDatabase.CreateAsync();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 3; i++)
        {
            await _database.AddAsync(DeadLetterSeed.WebhookFailure($"loc-{i % 2}", $"evt-{i}", now.AddMinutes(-i), faultMessage: $"Contact {100 + i} refused"));
        }

        _auth = await _database.AddAsync(DeadLetterSeed.WebhookFailure("loc-9", "evt-auth", now, faultMessage: "token revoked", classification: "authentication"));
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public async Task Should_list_DeadLetters_of_one_classification_as_json_when_piped()
    {
        var result = await _database.RunAsync("dlq", "list", "--classification", "authentication");

        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.AllOutput);
            Assert.That(json.RootElement.GetProperty("total").GetInt64(), Is.EqualTo(1));
            Assert.That(json.RootElement.GetProperty("items")[0].GetProperty("id").GetGuid(), Is.EqualTo(_auth));
        });
    }

    [Test]
    public async Task Should_group_DeadLetters_by_cause_with_counts_and_locations()
    {
        var result = await _database.RunAsync("dlq", "groups", "--json");

        using var json = JsonDocument.Parse(result.Stdout);
        var groups = json.RootElement.EnumerateArray().Select(g => (g.GetProperty("count").GetInt64(), g.GetProperty("locationCount").GetInt64(), g.GetProperty("classification").GetString())).ToList();
        Assert.That(groups, Is.EqualTo(new[] { (3L, 2L, "permanent"), (1L, 1L, "authentication") }));
    }

    [Test]
    public async Task Should_show_a_DeadLetter_with_its_reason_and_body()
    {
        var result = await _database.RunAsync("dlq", "show", _auth.ToString(), "--json");

        using var json = JsonDocument.Parse(result.Stdout);
        var deadLetter = json.RootElement.GetProperty("deadLetter");
        Assert.Multiple(() =>
        {
            Assert.That(deadLetter.GetProperty("classification").GetString(), Is.EqualTo("authentication"));
            Assert.That(deadLetter.GetProperty("httpStatus").GetInt32(), Is.EqualTo(422));
            Assert.That(deadLetter.GetProperty("body").GetProperty("message").GetProperty("eventId").GetString(), Is.EqualTo("evt-auth"));
        });
    }

    [Test]
    public async Task Should_say_an_unknown_DeadLetter_is_unknown()
    {
        var result = await _database.RunAsync("dlq", "show", Guid.NewGuid().ToString());

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.StartWith("error: no dead letter"));
        });
    }
}
