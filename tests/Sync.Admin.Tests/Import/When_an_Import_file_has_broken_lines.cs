using Microsoft.Extensions.Configuration;
using System.Text.Json;

namespace Sync.Admin.Tests.Import;

/// <summary>
/// A CSV with a wrong number of fields on one line, a stray quote on another and a bad email on a third: those lines
/// are reported with their numbers and reasons, exit code 3, and every other row is imported.
/// </summary>
public sealed class When_an_Import_file_has_broken_lines
{
    private ImportWorld _world = null!;
    private CliResult _result = null!;
    private JsonElement _summary;

    [OneTimeSetUp]
    public async Task Import()
    {
        _world = await ImportWorld.StartAsync();
        var file = _world.WriteFile("broken.csv",
            "email,firstName,tags\n" +               // line 1
            "ann@example.com,Ann,a\n" +                // line 2
            "bob@example.com,\"Bob\nMulti\",b\n" +     // lines 3-4
            "cat@example.com,Cat\n" +                  // line 5: two fields
            "dan@example.com,Dan,d\n" +                // line 6
            "eve@example.com,\"Eve\"x,e\n" +           // line 7: text after a closing quote
            "not-an-email,Fay,f\n" +                   // line 8: bad email
            "\n" +                                     // line 9: blank, skipped
            "gus@example.com,Gus,g\n");                // line 10

        _result = await _world.RunAsync("import", "--location", _world.LocationId, "--file", file, "--wait", "--timeout", "00:02:00");
        _summary = JsonDocument.Parse(_result.Stdout).RootElement;
    }

    [OneTimeTearDown]
    public async Task Stop() => await _world.DisposeAsync();

    [Test]
    public void Should_exit_with_code_3() => Assert.That(_result.ExitCode, Is.EqualTo(AdminExitCodes.RowsRejected), _result.AllOutput);

    [Test]
    public void Should_report_each_broken_line_with_its_reason()
    {
        var rejected = _summary.GetProperty("rejectedRows").EnumerateArray()
            .Select(r => (r.GetProperty("line").GetInt32(), r.GetProperty("reason").GetString()!)).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rejected.Select(r => r.Item1), Is.EqualTo(new[] { 5, 7, 8 }));
            Assert.That(rejected[0].Item2, Does.Contain("2 field(s) where the header has 3"));
            Assert.That(rejected[1].Item2, Does.Contain("after a closing quote"));
            Assert.That(rejected[2].Item2, Does.Contain("email"));
            Assert.That(_summary.GetProperty("rejected").GetInt64(), Is.EqualTo(3));
        }
    }

    [Test]
    public async Task Should_import_the_other_rows()
    {
        var contacts = await _world.ContactsAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_summary.GetProperty("queued").GetInt64(), Is.EqualTo(4));
            Assert.That(_summary.GetProperty("applied").GetInt64(), Is.EqualTo(4));
            Assert.That(contacts.Select(c => c.GetProperty("email").GetString()).Order(),
                Is.EqualTo(new[] { "ann@example.com", "bob@example.com", "dan@example.com", "gus@example.com" }));
            Assert.That(contacts.Single(c => c.GetProperty("email").GetString() == "bob@example.com").GetProperty("firstName").GetString(), Is.EqualTo("Bob\nMulti"));
        }
    }

    [Test]
    public async Task Should_name_the_line_at_a_terminal_too()
    {
        var file = _world.WriteFile("one-broken.csv", "email,firstName\nzed@example.com,Zed,extra\n");
        var stdout = new StringWriter();
        var console = new AdminConsole(new StringReader(""), stdout, new StringWriter(), outputIsTerminal: true);

        var exit = await AdminCli.RunAsync(["import", "--location", _world.LocationId, "--file", file], console,
            new ConfigurationBuilder().AddInMemoryCollection(_world.Settings).Build());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.EqualTo(AdminExitCodes.RowsRejected));
            Assert.That(stdout.ToString(), Does.Contain("0 queued, 0 unchanged, 1 rejected").And.Contain("line 2: 3 field(s) where the header has 2"));
        }
    }
}
