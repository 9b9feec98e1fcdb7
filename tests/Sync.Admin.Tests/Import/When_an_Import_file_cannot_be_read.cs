namespace Sync.Admin.Tests.Import;

/// <summary>
/// A file <c>sync-admin import</c> cannot read at all is one line on standard error naming the problem (and the line it
/// is on), exit code 1, and nothing is queued.
/// </summary>
public sealed class When_an_Import_file_cannot_be_read
{
    private const string Location = "ImportUnreadable0001";
    private AdminTestDatabase _database = null!;
    private string _directory = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _database = await AdminTestDatabase.CreateAsync();
        await _database.SeedInstallationAsync(Location);
        _directory = Directory.CreateTempSubdirectory("sync-import-unreadable-").FullName;
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [TestCase("missing.csv", null, new string[0], "no such file")]
    [TestCase("contacts.txt", "email\na@example.com\n", new string[0], "unknown kind of file '.txt'")]
    [TestCase("empty.csv", "", new string[0], "line 1: the CSV file is empty")]
    [TestCase("mapped.csv", "Mail,Given\na@example.com,Ann\n", new[] { "--map", "Mail=email", "--map", "Surname=lastName" }, "line 1: --map names the column 'Surname'")]
    [TestCase("noid.csv", "firstName,lastName\nAnn,Lee\n", new string[0], "line 1: no column feeds email or phone")]
    [TestCase("field.csv", "email\na@example.com\n", new[] { "--map", "email=emailAddress" }, "unknown field 'emailAddress'")]
    public async Task Should_say_what_is_wrong_in_one_line(string name, string? content, string[] extra, string expected)
    {
        var path = Path.Combine(_directory, name);
        if (content is not null)
        {
            await File.WriteAllTextAsync(path, content);
        }

        var result = await _database.RunAsync(["import", "--location", Location, "--file", path, .. extra]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError), result.AllOutput);
            Assert.That(result.Stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), result.Stderr);
            Assert.That(result.Stderr, Does.StartWith("error: ").And.Contain(expected));
            Assert.That(await _database.ScalarAsync<long>("SELECT count(*) FROM sync.outbox"), Is.Zero);
        }
    }

    [Test]
    public async Task Should_refuse_a_location_that_is_not_installed()
    {
        var path = Path.Combine(_directory, "ok.csv");
        await File.WriteAllTextAsync(path, "email\na@example.com\n");

        var result = await _database.RunAsync("import", "--location", "NotInstalled00000001", "--file", path);

        Assert.That((result.ExitCode, result.Stderr.Contains("not installed", StringComparison.Ordinal)), Is.EqualTo((AdminExitCodes.UsageError, true)), result.AllOutput);
    }
}
