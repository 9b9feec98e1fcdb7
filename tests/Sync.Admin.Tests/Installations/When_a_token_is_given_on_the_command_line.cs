namespace Sync.Admin.Tests.Installations;

public sealed class When_a_token_is_given_on_the_command_line
{
    private AdminTestDatabase _database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase() => _database = await AdminTestDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [TestCase("--token", "pit-on-the-command-line")]
    [TestCase("--token=pit-on-the-command-line")]
    [TestCase("pit-on-the-command-line")]
    public async Task Should_be_a_usage_error(params string[] extra)
    {
        var result = await _database.RunWithInputAsync("pit-from-stdin", ["installations", "add-private", "--location", "loc-cli", .. extra]);

        Assert.That(result.ExitCode, Is.EqualTo(AdminExitCodes.UsageError), result.AllOutput);
    }

    [TestCase("--token", "pit-on-the-command-line")]
    [TestCase("--token=pit-on-the-command-line")]
    [TestCase("pit-on-the-command-line")]
    public async Task Should_not_echo_the_value(params string[] extra)
    {
        var result = await _database.RunWithInputAsync("pit-from-stdin", ["installations", "add-private", "--location", "loc-cli", .. extra]);

        Assert.That(result.AllOutput, Does.Not.Contain("pit-on-the-command-line"));
    }

    [Test]
    public async Task Should_not_create_an_installation()
    {
        await _database.RunWithInputAsync("pit-from-stdin", "installations", "add-private", "--location", "loc-cli-2", "--token", "pit-x");

        Assert.That(await _database.Installations.GetAsync("loc-cli-2", CancellationToken.None), Is.Null);
    }
}
