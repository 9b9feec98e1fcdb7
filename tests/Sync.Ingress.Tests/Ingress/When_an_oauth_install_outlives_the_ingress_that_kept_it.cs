using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sync.Ingress.Tests.Support;
using Sync.Sandbox;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// The code is single-use and already exchanged when the database fails, and the ingress that received it stops before
/// the database is back: the installation must not be lost. A second ingress on the same pending directory, started with
/// the database back, stores it and deletes the file; the file never held a token in clear text. The location is
/// installed twice during the outage, and the newer install replaces the older one's file.
/// </summary>
[TestFixture]
public sealed class When_an_oauth_install_outlives_the_ingress_that_kept_it : IngressFixture
{
    private const string Location = "loc-outlived";
    private const string Company = "company-outlived";
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Stop_second_ingress
    private TcpProxy _database = null!;
    private IngressHost? _second;
#pragma warning restore NUnit1032
    private SandboxServer _sandbox = null!;
    private IngressSettings _settings = null!;
    private HttpResponseMessage _response = null!;
    private Dictionary<string, byte[]> _kept = null!;
    private Installation? _stored;
    private int _leftAfterStoring = -1;

    protected override async Task BeforeStartAsync() => _sandbox = await SandboxServer.StartAsync();

    protected override void Configure(IngressSettings settings)
    {
        var direct = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
        _database = TcpProxy.Start(direct.Host!, direct.Port);
        _settings = settings
            .Database(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Host = "127.0.0.1", Port = _database.Port, Timeout = 3 }.ConnectionString)
            .Set("Sync:HoopAi:BaseUrl", _sandbox.BaseAddress.ToString())
            .Set("Sync:HoopAi:ClientId", "sandbox-client")
            .Set("Sync:HoopAi:ClientSecret", "sandbox-secret")
            .Set("Sync:Ingress:OAuth:StoreAttempts", "2")
            .Set("Sync:Ingress:OAuth:StoreRetryDelay", "00:00:00.100")
            .Set("Sync:Ingress:OAuth:PendingRetryInterval", "00:00:00.200");
    }

    protected override async Task AfterStartAsync()
    {
        // Installed twice while the database is down: the newer install (its company tells them apart) must win.
        var older = _sandbox.State.Tokens.IssueAuthorizationCode(Location, "company-older");
        var code = _sandbox.State.Tokens.IssueAuthorizationCode(Location, Company);
        _database.Disconnect();
        using (var first = await Ingress.Client.GetAsync($"/oauth/callback?code={Uri.EscapeDataString(older)}"))
        {
            Assert.That((int)first.StatusCode, Is.EqualTo(202), await first.Content.ReadAsStringAsync());
        }

        _response = await Ingress.Client.GetAsync($"/oauth/callback?code={Uri.EscapeDataString(code)}");

        // The first ingress stops while the database is still down: nothing of it survives but the pending directory.
        await StopIngressAsync();
        _kept = KeptFiles().ToDictionary(path => Path.GetFileName(path), File.ReadAllBytes);

        // The second one reaches the database directly.
        _settings.Database(Database.ConnectionString);
        _second = await IngressHost.StartAsync(_settings.Values);
        var store = _second.Services.GetRequiredService<IInstallationStore>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (_stored is null && DateTime.UtcNow < deadline)
        {
            _stored = await store.GetAsync(Location, CancellationToken.None);
            if (_stored is null)
            {
                await Task.Delay(100);
            }
        }

        // The file is deleted just after the write: wait for that too.
        while (DateTime.UtcNow < deadline && (_leftAfterStoring = KeptFiles().Length) > 0)
        {
            await Task.Delay(100);
        }
    }

    private string[] KeptFiles() => Directory.Exists(PendingDirectory) ? Directory.GetFiles(PendingDirectory) : [];

    [OneTimeTearDown]
    public async Task Stop_second_ingress()
    {
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }

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
    public async Task Should_answer_202_saying_the_install_is_kept()
    {
        Assert.That(_response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await _response.Content.ReadAsStringAsync());
        var answer = await _response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("pending"));
            Assert.That(answer.GetProperty("detail").GetString(), Does.Contain("kept encrypted"));
        });
    }

    [Test]
    public void Should_keep_the_location_in_one_file_while_the_database_is_down()
    {
        Assert.That(_kept.Keys, Has.Count.EqualTo(1), string.Join(", ", _kept.Keys));
        Assert.That(_kept.Keys.Single(), Does.StartWith(Location + "-").And.EndsWith(".json"));
    }

    [Test]
    public void Should_keep_the_newer_of_two_installs_of_the_location()
    {
        Assert.That(_stored, Is.Not.Null, "not stored within 60 s of the second ingress starting");
        Assert.That(_stored!.CompanyId, Is.EqualTo(Company));
    }

    [Test]
    public void Should_record_the_key_id_in_the_file()
    {
        var file = JsonDocument.Parse(_kept.Values.Single()).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(file.GetProperty("keyId").GetString(), Is.EqualTo("test"));
            Assert.That(file.GetProperty("locationId").GetString(), Is.EqualTo(Location));
        });
    }

    [Test]
    public void Should_keep_no_token_in_clear_text()
    {
        Assert.That(_stored, Is.Not.Null, "the installation was not stored, so its tokens are unknown");
        // The file as it is, and every base64 value in it decoded: a token must be in neither.
        var content = _kept.Values.Single();
        var readings = new List<string> { Encoding.UTF8.GetString(content) };
        foreach (var member in JsonDocument.Parse(content).RootElement.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.String && member.Value.TryGetBytesFromBase64(out var decoded))
            {
                readings.Add(Encoding.UTF8.GetString(decoded));
            }
        }

        Assert.That(readings, Has.Count.GreaterThan(1), "the file holds no encrypted value");
        Assert.Multiple(() =>
        {
            foreach (var token in new[] { _stored!.AccessToken!, _stored.RefreshToken! })
            {
                Assert.That(token, Is.Not.Empty);
                Assert.That(readings, Has.None.Contain(token));
            }
        });
    }

    [Test]
    public void Should_store_the_installation_when_a_second_ingress_starts_with_the_database_back()
    {
        Assert.That(_stored, Is.Not.Null, "not stored within 60 s of the second ingress starting");
        Assert.Multiple(() =>
        {
            Assert.That(_stored!.AuthMode, Is.EqualTo(AuthMode.OAuth));
            Assert.That(_stored.RefreshToken, Does.StartWith("sbr-"));
        });
    }

    [Test]
    public void Should_delete_the_file_once_stored()
    {
        Assert.That(_leftAfterStoring, Is.EqualTo(0));
    }

    [Test]
    public void Should_log_one_line_saying_it_was_stored()
    {
        var lines = _second!.Logs.Lines.Where(l => l.Contains("Stored the kept OAuth installation of location " + Location, StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(1));
        Assert.That(lines[0], Does.StartWith("Information"));
    }
}
