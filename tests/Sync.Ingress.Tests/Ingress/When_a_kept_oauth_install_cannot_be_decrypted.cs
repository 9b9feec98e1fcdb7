using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sync.Ingress.Tests.Support;
using Sync.Sandbox;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// An installation is kept under key <c>old</c>; the next ingress starts with only key <c>new</c> (the old key rotated
/// away). The file must stay, and one error must name it; with the old key back, a third ingress stores it. No ingress
/// logs a token on the way.
/// </summary>
[TestFixture]
public sealed class When_a_kept_oauth_install_cannot_be_decrypted : IngressFixture
{
    private const string Location = "loc-undecryptable";
    private static readonly string OldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private static readonly string NewKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Stop_proxy_and_sandbox
    private TcpProxy _database = null!;
#pragma warning restore NUnit1032
    private SandboxServer _sandbox = null!;
    private IngressSettings _settings = null!;
    private string _file = null!;
    private byte[] _kept = null!;
    private byte[]? _keptAfterRotation;
    private Installation? _storedWithoutKey;
    private IReadOnlyList<string> _rotatedLogs = [];
    private readonly List<string> _everyLog = [];
    private Installation? _storedWithKeyBack;

    protected override async Task BeforeStartAsync() => _sandbox = await SandboxServer.StartAsync();

    protected override void Configure(IngressSettings settings)
    {
        var direct = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
        _database = TcpProxy.Start(direct.Host!, direct.Port);
        _settings = settings
            .EncryptionKey("old", OldKey)
            .Database(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Host = "127.0.0.1", Port = _database.Port, Timeout = 3 }.ConnectionString)
            .Set("Sync:HoopAi:BaseUrl", _sandbox.BaseAddress.ToString())
            .Set("Sync:HoopAi:ClientId", "sandbox-client")
            .Set("Sync:HoopAi:ClientSecret", "sandbox-secret")
            .Set("Sync:Ingress:OAuth:StoreAttempts", "1")
            .Set("Sync:Ingress:OAuth:PendingRetryInterval", "00:00:00.200");
    }

    protected override async Task AfterStartAsync()
    {
        var code = _sandbox.State.Tokens.IssueAuthorizationCode(Location, "company-rotated");
        _database.Disconnect();
        using (var response = await Ingress.Client.GetAsync($"/oauth/callback?code={Uri.EscapeDataString(code)}"))
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(202), await response.Content.ReadAsStringAsync());
        }

        var first = Ingress.Logs;
        await StopIngressAsync();
        _everyLog.AddRange(first.Lines);
        _file = Directory.GetFiles(PendingDirectory, "*.json").Single();
        _kept = await File.ReadAllBytesAsync(_file);

        // The old key rotated away; the database is back.
        _settings.Database(Database.ConnectionString).EncryptionKey("new", NewKey);
        await using (var rotated = await IngressHost.StartAsync(_settings.Values))
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && !rotated.Logs.Lines.Any(l => l.Contains(Path.GetFileName(_file), StringComparison.Ordinal)))
            {
                await Task.Delay(100);
            }

            // A few more passes, which must not repeat the error.
            await Task.Delay(TimeSpan.FromSeconds(1));
            _storedWithoutKey = await rotated.Services.GetRequiredService<IInstallationStore>().GetAsync(Location, CancellationToken.None);
            _rotatedLogs = rotated.Logs.Lines.ToList();
            _everyLog.AddRange(_rotatedLogs);
        }

        _keptAfterRotation = File.Exists(_file) ? await File.ReadAllBytesAsync(_file) : null;

        // The old key back (the new one stays active): the file is read and stored.
        _settings.Set("Sync:Storage:EncryptionKeys:old", OldKey);
        await using var restored = await IngressHost.StartAsync(_settings.Values);
        var store = restored.Services.GetRequiredService<IInstallationStore>();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (_storedWithKeyBack is null && DateTime.UtcNow < until)
        {
            _storedWithKeyBack = await store.GetAsync(Location, CancellationToken.None);
            if (_storedWithKeyBack is null)
            {
                await Task.Delay(100);
            }
        }

        _everyLog.AddRange(restored.Logs.Lines);
    }

    [OneTimeTearDown]
    public async Task Stop_proxy_and_sandbox()
    {
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Test]
    public void Should_leave_the_file_in_place_unchanged()
    {
        Assert.That(_keptAfterRotation is null ? "(deleted)" : Encoding.UTF8.GetString(_keptAfterRotation), Is.EqualTo(Encoding.UTF8.GetString(_kept)));
    }

    [Test]
    public void Should_not_store_it_without_its_key()
    {
        Assert.That(_storedWithoutKey, Is.Null);
    }

    [Test]
    public void Should_log_one_error_naming_the_file_and_its_key()
    {
        var lines = _rotatedLogs.Where(l => l.Contains(Path.GetFileName(_file), StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(1), string.Join(Environment.NewLine, lines));
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Does.StartWith("Error"));
            Assert.That(lines[0], Does.Contain(_file));
            Assert.That(lines[0], Does.Contain("'old'"));
            Assert.That(lines[0], Does.Not.Contain("   at "), "no stack trace for a file an operator must deal with");
        });
    }

    [Test]
    public void Should_log_no_token_in_any_of_the_three_ingresses()
    {
        Assert.That(_storedWithKeyBack, Is.Not.Null, "the installation was never stored, so its tokens are unknown");
        Assert.Multiple(() =>
        {
            foreach (var token in new[] { _storedWithKeyBack!.AccessToken!, _storedWithKeyBack.RefreshToken! })
            {
                Assert.That(token, Is.Not.Empty);
                Assert.That(_everyLog, Has.None.Contain(token));
            }
        });
    }

    [Test]
    public void Should_store_it_once_its_key_is_back()
    {
        Assert.That(_storedWithKeyBack, Is.Not.Null, "not stored within 60 s of the key coming back");
        Assert.That(_storedWithKeyBack!.CompanyId, Is.EqualTo("company-rotated"));
    }
}
