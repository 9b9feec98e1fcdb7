using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sync.Admin.Tests.Import;

/// <summary>
/// A location imported from a snapshot (with a custom field by key), then changed by hand in the CRM (names, a company,
/// tags taken away and added, the custom field's value, which the CRM keeps under the field's id)
/// and a snapshot with two rows never imported: <c>sync-admin diff</c> reports exactly those differences, exit code 4;
/// <c>--repair</c> queues their fixes through the worker, and a diff after the repair reports none.
/// </summary>
public sealed class When_diffing_a_snapshot_after_Import
{
    private const int Rows = 60;
    private ImportWorld _world = null!;
    private CliResult _import = null!;
    private CliResult _clean = null!;
    private CliResult _diff = null!;
    private CliResult _repair = null!;
    private CliResult _after = null!;
    private string _snapshot = "";

    [OneTimeSetUp]
    public async Task ImportChangeDiffRepair()
    {
        _world = await ImportWorld.StartAsync();
        _world.Sandbox.State.CustomFields.Define(_world.LocationId, [("contact.plan", "Plan", "TEXT")]);
        var lines = Enumerable.Range(0, Rows).Select(Line).ToList();
        var imported = _world.WriteFile("imported.jsonl", string.Join('\n', lines) + "\n");
        _import = await _world.RunAsync("import", "--location", _world.LocationId, "--file", imported, "--wait", "--timeout", "00:02:00");
        await ImportWorld.EventuallyAsync(async () => (await _world.ContactsAsync()).Sum(c => c.GetProperty("tags").GetArrayLength()) == Rows * 2, TimeSpan.FromSeconds(60));
        _clean = await _world.RunAsync("diff", "--location", _world.LocationId, "--file", imported);

        // By hand in the CRM: two first names, one company, one contact's tags cut to one, one given an extra tag.
        await _world.SeedAsync(
            new { email = "c3@example.com", firstName = "Changed3" },
            new { email = "c7@example.com", firstName = "Changed7" },
            new { email = "c11@example.com", companyName = "Other Ltd" },
            new { email = "c20@example.com", tags = new[] { "base" } },
            new { email = "c30@example.com", tags = new[] { "base", "group0", "intruder" } },
            new { email = "c40@example.com", customFields = new[] { new { key = "plan", field_value = "changed" } } });

        // The snapshot: the same rows and two never imported (lines 61 and 62).
        _snapshot = _world.WriteFile("snapshot.jsonl", string.Join('\n', lines.Append(Line(100)).Append(Line(101))) + "\n");
        _diff = await _world.RunAsync("diff", "--location", _world.LocationId, "--file", _snapshot);
        _repair = await _world.RunAsync("diff", "--location", _world.LocationId, "--file", _snapshot, "--repair", "--wait", "--timeout", "00:02:00");

        // Tag fixes are bulk calls after their events are applied: a diff reports none once they went out.
        await ImportWorld.EventuallyAsync(async () => (await _world.RunAsync("diff", "--location", _world.LocationId, "--file", _snapshot)).ExitCode == 0,
            TimeSpan.FromSeconds(30));
        _after = await _world.RunAsync("diff", "--location", _world.LocationId, "--file", _snapshot);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _world.DisposeAsync();

    [Test]
    public void Should_find_no_difference_right_after_the_import()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_import.ExitCode, Is.Zero, _import.AllOutput);
            Assert.That(_clean.ExitCode, Is.Zero, _clean.AllOutput);
            Assert.That(JsonDocument.Parse(_clean.Stdout).RootElement.GetProperty("matched").GetInt64(), Is.EqualTo(Rows));
        }
    }

    [Test]
    public void Should_report_exactly_the_planted_differences()
    {
        var report = JsonDocument.Parse(_diff.Stdout).RootElement;
        var found = report.GetProperty("contacts").EnumerateArray().Select(Describe).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_diff.ExitCode, Is.EqualTo(AdminExitCodes.DifferencesFound), _diff.AllOutput);
            Assert.That(found, Is.EqualTo(new[]
            {
                "line 4 email:c3@example.com different firstName:Changed3->First3 +[] -[]",
                "line 8 email:c7@example.com different firstName:Changed7->First7 +[] -[]",
                "line 12 email:c11@example.com different companyName:Other Ltd->Company 11 +[] -[]",
                "line 21 email:c20@example.com different  +[group2] -[]",
                "line 31 email:c30@example.com different  +[] -[intruder]",
                "line 41 email:c40@example.com different customFields.plan:changed->plan0 +[] -[]",
                "line 61 email:c100@example.com missing  +[] -[]",
                "line 62 email:c101@example.com missing  +[] -[]",
            }));
            Assert.That(report.GetProperty("matched").GetInt64(), Is.EqualTo(Rows));
        }
    }

    [Test]
    public void Should_queue_one_fix_per_difference()
    {
        var report = JsonDocument.Parse(_repair.Stdout).RootElement;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_repair.ExitCode, Is.EqualTo(AdminExitCodes.DifferencesFound), _repair.AllOutput);
            Assert.That(report.GetProperty("repairQueued").GetInt64(), Is.EqualTo(8));
            Assert.That(report.GetProperty("applied").GetInt64(), Is.EqualTo(8));
        }
    }

    [Test]
    public async Task Should_report_none_after_the_repair()
    {
        var contacts = (await _world.ContactsAsync()).ToDictionary(c => c.GetProperty("email").GetString()!);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_after.ExitCode, Is.Zero, _after.AllOutput);
            Assert.That(JsonDocument.Parse(_after.Stdout).RootElement.GetProperty("differences").GetInt64(), Is.Zero);
            Assert.That(contacts, Has.Count.EqualTo(Rows + 2));
            Assert.That(contacts["c3@example.com"].GetProperty("firstName").GetString(), Is.EqualTo("First3"));
            Assert.That(contacts["c40@example.com"].GetProperty("customFields")[0].GetProperty("value").GetString(), Is.EqualTo("plan0"));
            Assert.That(contacts["c30@example.com"].GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Order(), Is.EqualTo(new[] { "base", "group0" }));
        }
    }

    private static string Line(int i) => JsonSerializer.Serialize(new
    {
        email = $"c{i}@example.com",
        phone = string.Create(CultureInfo.InvariantCulture, $"+1566{i:D7}"),
        firstName = $"First{i}",
        lastName = $"Last{i}",
        companyName = $"Company {i}",
        tags = new[] { "base", $"group{i % 3}" },
        customFields = new { plan = $"plan{i % 2}" },
    });

    private static string Describe(JsonElement d)
    {
        var fields = string.Join(",", d.GetProperty("fields").EnumerateArray()
            .Select(f => $"{f.GetProperty("field").GetString()}:{f.GetProperty("crm").GetString()}->{f.GetProperty("snapshot").GetString()}"));
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"line {d.GetProperty("line").GetInt32()} {d.GetProperty("key").GetString()} {d.GetProperty("kind").GetString()} {fields} ");
        builder.Append('+').Append('[').Append(string.Join(",", d.GetProperty("tagsMissing").EnumerateArray().Select(t => t.GetString()))).Append(']');
        builder.Append(" -[").Append(string.Join(",", d.GetProperty("tagsExtra").EnumerateArray().Select(t => t.GetString()))).Append(']');
        return builder.ToString();
    }
}
