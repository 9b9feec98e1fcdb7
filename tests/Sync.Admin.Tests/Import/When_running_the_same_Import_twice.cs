using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sync.Admin.Tests.Import;

/// <summary>
/// <c>sync-admin import</c> of a 2,000-row CSV (quoted fields with commas, quotes and line breaks; tags) applied by a
/// running worker, then the same import again: the second run queues nothing, makes no API call, and the sandbox ends
/// as the first run left it.
/// </summary>
public sealed class When_running_the_same_Import_twice
{
    private const int Rows = 2000;
    private ImportWorld _world = null!;
    private CliResult _first = null!;
    private CliResult _second = null!;
    private string _afterFirst = "";
    private string _afterSecond = "";
    private long _upsertsFirst;
    private long _upsertsSecond;
    private long _tagCallsSecond;
    private long _callsSecond;
    private IReadOnlyList<JsonElement> _contacts = [];

    [OneTimeSetUp]
    public async Task ImportTwice()
    {
        _world = await ImportWorld.StartAsync();
        var csv = new StringBuilder("email,phone,First Name,lastName,companyName,tags,notes\r\n");
        for (var i = 0; i < Rows; i++)
        {
            var company = i % 10 == 0 ? $"\"Acme, \"\"Inc\"\" {i}\"" : i % 10 == 1 ? $"\"Two\nLines {i}\"" : $"Co{i}";
            var tags = i % 3 == 0 ? "customer;vip" : i % 3 == 1 ? "lead|newsletter" : "";
            csv.Append(CultureInfo.InvariantCulture, $"Person{i}@Example.com,+1555{i:D7},First{i},Last{i},{company},{tags},note {i}\r\n");
        }

        var file = _world.WriteFile("contacts.csv", csv.ToString());

        _first = await _world.RunAsync("import", "--location", _world.LocationId, "--file", file, "--wait", "--timeout", "00:04:00");
        _upsertsFirst = _world.Calls("/contacts/upsert");

        // Tags go out after the upserts, batched: wait until every contact holds the tags of its row.
        await ImportWorld.EventuallyAsync(async () => (await _world.ContactsAsync()).Sum(c => c.GetProperty("tags").GetArrayLength()) == ExpectedTagCount(), TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(2));
        _afterFirst = JsonSerializer.Serialize(await _world.ContactsAsync());
        var callsBefore = _world.AllCalls();
        var tagCallsBefore = _world.Calls("/contacts/bulk/tags/update/{type}");

        _second = await _world.RunAsync("import", "--location", _world.LocationId, "--file", file, "--wait", "--timeout", "00:04:00");

        // Anything the second run queued by mistake would need the relay and the tag batch's second to show.
        await Task.Delay(TimeSpan.FromSeconds(3));
        _upsertsSecond = _world.Calls("/contacts/upsert") - _upsertsFirst;
        _tagCallsSecond = _world.Calls("/contacts/bulk/tags/update/{type}") - tagCallsBefore;
        _callsSecond = _world.AllCalls() - callsBefore;
        _contacts = await _world.ContactsAsync();
        _afterSecond = JsonSerializer.Serialize(_contacts);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _world.DisposeAsync();

    [Test]
    public void Should_queue_and_apply_every_row_the_first_time()
    {
        var summary = JsonDocument.Parse(_first.Stdout).RootElement;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_first.ExitCode, Is.Zero, _first.AllOutput);
            Assert.That(summary.GetProperty("queued").GetInt64(), Is.EqualTo(Rows));
            Assert.That(summary.GetProperty("applied").GetInt64(), Is.EqualTo(Rows));
            Assert.That(summary.GetProperty("rejected").GetInt64(), Is.Zero);
            Assert.That(summary.GetProperty("ignoredColumns").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "notes" }));
            Assert.That(_upsertsFirst, Is.EqualTo(Rows));
        }
    }

    [Test]
    public void Should_hold_every_row_as_the_file_says()
    {
        var byEmail = _contacts.ToDictionary(c => c.GetProperty("email").GetString()!);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_contacts, Has.Count.EqualTo(Rows));
            Assert.That(byEmail["person10@example.com"].GetProperty("companyName").GetString(), Is.EqualTo("Acme, \"Inc\" 10"));
            Assert.That(byEmail["person11@example.com"].GetProperty("companyName").GetString(), Is.EqualTo("Two\nLines 11"));
            Assert.That(byEmail["person12@example.com"].GetProperty("firstName").GetString(), Is.EqualTo("First12"));
            Assert.That(byEmail["person12@example.com"].GetProperty("phone").GetString(), Is.EqualTo("+15550000012"));
            Assert.That(byEmail["person12@example.com"].GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "customer", "vip" }));
            Assert.That(byEmail["person13@example.com"].GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Order(), Is.EqualTo(new[] { "lead", "newsletter" }));
            Assert.That(byEmail["person14@example.com"].GetProperty("tags").GetArrayLength(), Is.Zero);
        }
    }

    [Test]
    public void Should_count_every_row_unchanged_the_second_time()
    {
        var summary = JsonDocument.Parse(_second.Stdout).RootElement;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_second.ExitCode, Is.Zero, _second.AllOutput);
            Assert.That(summary.GetProperty("queued").GetInt64(), Is.Zero);
            Assert.That(summary.GetProperty("unchanged").GetInt64(), Is.EqualTo(Rows));
            Assert.That(summary.GetProperty("alreadyApplied").GetInt64(), Is.EqualTo(Rows));
        }
    }

    [Test]
    public void Should_make_no_upsert_or_tag_call_the_second_time()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_upsertsSecond, Is.Zero);
            Assert.That(_tagCallsSecond, Is.Zero);
            Assert.That(_callsSecond, Is.Zero);
        }
    }

    [Test]
    public void Should_leave_the_sandbox_as_after_the_first_run() => Assert.That(_afterSecond, Is.EqualTo(_afterFirst));

    private static int ExpectedTagCount() => Enumerable.Range(0, Rows).Sum(i => i % 3 == 2 ? 0 : 2);
}
