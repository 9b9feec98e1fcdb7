namespace Sync.Admin.Tests.Installations;

public sealed class When_adding_a_private_integration_from_a_file
{
    private const string Location = "loc-file";
    private readonly string _token = $"pit-{Guid.NewGuid()}";
    private readonly string _tokenFile = Path.Combine(Path.GetTempPath(), $"sync-admin-token-{Guid.NewGuid():N}");
    private AdminTestDatabase _database = null!;
    private CliResult _result = null!;

    [OneTimeSetUp]
    public async Task Add()
    {
        _database = await AdminTestDatabase.CreateAsync();
        await File.WriteAllTextAsync(_tokenFile, $"\n {_token} \r\n");
        _result = await _database.RunWithInputAsync(
            "stdin-is-ignored-when-a-file-is-given", "installations", "add-private", "--location", Location, "--token-file", _tokenFile);
    }

    [OneTimeTearDown]
    public async Task Cleanup()
    {
        File.Delete(_tokenFile);
        await _database.DisposeAsync();
    }

    [Test]
    public void Should_succeed() => Assert.That(_result.ExitCode, Is.Zero, _result.AllOutput);

    [Test]
    public async Task Should_store_the_trimmed_token_from_the_file()
    {
        var stored = await _database.Installations.GetAsync(Location, CancellationToken.None);
        Assert.That(stored?.AccessToken, Is.EqualTo(_token));
    }

    [Test]
    public void Should_never_print_the_token() => Assert.That(_result.AllOutput, Does.Not.Contain(_token));
}
