using System.Text;
using Sync.Storage;

namespace Sync.Admin.Tests.Installations;

public sealed class When_adding_a_private_integration_from_stdin
{
    private const string Location = "loc-stdin";
    private readonly string _token = $"pit-{Guid.NewGuid()}";
    private AdminTestDatabase _database = null!;
    private CliResult _result = null!;

    [OneTimeSetUp]
    public async Task Add()
    {
        _database = await AdminTestDatabase.CreateAsync();
        _result = await _database.RunWithInputAsync(
            $"  {_token}\r\n\n", "installations", "add-private", "--location", Location, "--company", "company-7");
    }

    [OneTimeTearDown]
    public async Task Cleanup() => await _database.DisposeAsync();

    [Test]
    public void Should_succeed() => Assert.That(_result.ExitCode, Is.Zero, _result.AllOutput);

    [Test]
    public async Task Should_store_the_trimmed_token_as_a_private_integration()
    {
        var stored = await _database.Installations.GetAsync(Location, CancellationToken.None);
        Assert.That(stored, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(stored!.AccessToken, Is.EqualTo(_token));
            Assert.That(stored.AuthMode, Is.EqualTo(AuthMode.PrivateIntegration));
            Assert.That(stored.Status, Is.EqualTo(InstallationStatus.Active));
            Assert.That(stored.CompanyId, Is.EqualTo("company-7"));
            Assert.That(stored.RefreshToken, Is.Null);
        });
    }

    [Test]
    public async Task Should_store_only_ciphertext()
    {
        var stored = await _database.ScalarAsync<byte[]>(
            "SELECT access_token FROM sync.installations WHERE location_id = @location", ("location", Location));
        Assert.That(stored, Is.Not.Null.And.Not.Empty);
        Assert.That(Encoding.Latin1.GetString(stored!), Does.Not.Contain(_token));
    }

    [Test]
    public void Should_never_print_the_token() => Assert.That(_result.AllOutput, Does.Not.Contain(_token));

    [Test]
    public void Should_say_what_it_added() => Assert.That(_result.Stdout, Does.Contain(Location).And.Contain("encrypted"));
}
