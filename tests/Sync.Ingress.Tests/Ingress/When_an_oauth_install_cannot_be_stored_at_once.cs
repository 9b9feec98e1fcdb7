using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sync.Ingress.Tests.Support;
using Sync.Sandbox;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Ingress.Tests.Ingress;

/// <summary>
/// The code is single-use and already exchanged when the database fails: the tokens must not be lost. The answer says
/// the install waits, and the installation is written once the database is back.
/// </summary>
[TestFixture]
public sealed class When_an_oauth_install_cannot_be_stored_at_once : IngressFixture
{
    private const string Location = "loc-stored-later";
#pragma warning disable NUnit1032 // made in Configure (run from the base's OneTimeSetUp), disposed in Stop_sandbox_and_proxy
    private TcpProxy _database = null!;
#pragma warning restore NUnit1032
    private SandboxServer _sandbox = null!;
    private HttpResponseMessage _response = null!;

    protected override async Task BeforeStartAsync() => _sandbox = await SandboxServer.StartAsync();

    protected override void Configure(IngressSettings settings)
    {
        var direct = new NpgsqlConnectionStringBuilder(Database.ConnectionString);
        _database = TcpProxy.Start(direct.Host!, direct.Port);
        settings
            .Database(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Host = "127.0.0.1", Port = _database.Port, Timeout = 3 }.ConnectionString)
            .Set("Sync:HoopAi:BaseUrl", _sandbox.BaseAddress.ToString())
            .Set("Sync:HoopAi:ClientId", "sandbox-client")
            .Set("Sync:HoopAi:ClientSecret", "sandbox-secret")
            .Set("Sync:Ingress:OAuth:StoreAttempts", "2")
            .Set("Sync:Ingress:OAuth:StoreRetryDelay", "00:00:00.100");
    }

    protected override async Task AfterStartAsync()
    {
        var code = _sandbox.State.Tokens.IssueAuthorizationCode(Location, "company-later");
        _database.Disconnect();
        try
        {
            _response = await Ingress.Client.GetAsync($"/oauth/callback?code={Uri.EscapeDataString(code)}");
        }
        finally
        {
            _database.Reconnect();
        }
    }

    [OneTimeTearDown]
    public async Task Stop_sandbox_and_proxy()
    {
        await StopIngressAsync();
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Test, Order(1)]
    public async Task Should_answer_202_saying_the_install_waits()
    {
        Assert.That(_response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await _response.Content.ReadAsStringAsync());
        var answer = await _response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(answer.GetProperty("locationId").GetString(), Is.EqualTo(Location));
            Assert.That(answer.GetProperty("status").GetString(), Is.EqualTo("pending"));
            Assert.That(answer.GetProperty("detail").GetString(), Does.Contain("saved automatically"));
        });
    }

    [Test, Order(2)]
    public async Task Should_store_the_installation_once_the_database_is_back()
    {
        var store = Ingress.Services.GetRequiredService<IInstallationStore>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        Installation? installation = null;
        while (installation is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            try
            {
                installation = await store.GetAsync(Location, CancellationToken.None);
            }
            catch (NpgsqlException)
            {
                // The pool may still hold a connection the cut broke.
            }
        }

        Assert.That(installation, Is.Not.Null, "not stored within 60 s of the database coming back");
        Assert.That(installation!.RefreshToken, Is.Not.Empty);
    }
}
