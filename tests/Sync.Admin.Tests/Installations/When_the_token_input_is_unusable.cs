namespace Sync.Admin.Tests.Installations;

public sealed class When_the_token_input_is_unusable
{
    private AdminTestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await AdminTestDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public async Task Should_refuse_an_empty_stdin_with_exit_code_1_and_say_why()
    {
        var result = await _database.RunWithInputAsync(" \r\n\t\n", "installations", "add-private", "--location", "loc-empty");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("no token").And.Contain("standard input"));
        });
    }

    [Test]
    public async Task Should_not_create_an_installation_for_an_empty_token()
    {
        await _database.RunWithInputAsync("", "installations", "add-private", "--location", "loc-empty-2");

        Assert.That(await _database.Installations.GetAsync("loc-empty-2", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Should_refuse_a_token_with_whitespace_inside()
    {
        var result = await _database.RunWithInputAsync("pit-one pit-two\n", "installations", "add-private", "--location", "loc-two-tokens");

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.AllOutput, Does.Not.Contain("pit-one").And.Not.Contain("pit-two"));
        });
    }

    [Test]
    public async Task Should_refuse_a_missing_token_file()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-token-{Guid.NewGuid():N}");

        var result = await _database.RunAsync("installations", "add-private", "--location", "loc-no-file", "--token-file", missing);

        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError));
            Assert.That(result.Stderr, Does.Contain("does not exist"));
        });
    }
}
