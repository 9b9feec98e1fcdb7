using System.Net;
using System.Net.Sockets;
using Microsoft.Data.SqlClient;
using Microsoft.Extensions.DependencyInjection;

namespace Sync.Storage.Tests.Units;

/// <summary>
/// Runs where no SQL Server is: the SQL Server side of DbUp and the stores load and run with the SqlClient version
/// the project pins (DbUp's SQL Server package was built against an older one), failing only for want of a server.
/// </summary>
[TestFixture]
public sealed class When_sql_server_is_unreachable
{
    private ServiceProvider _services = null!;

    [OneTimeSetUp]
    public void Register_sql_server_storage()
    {
        // A loopback port nothing listens on: connections are refused at once.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        _services = new ServiceCollection()
            .AddSyncStorage(options =>
            {
                options.Provider = DatabaseProvider.SqlServer;
                options.ConnectionString = $"Server=127.0.0.1,{port};Database=sync;User Id=sa;Password=unused;Connect Timeout=2;Encrypt=False;ConnectRetryCount=0";
                options.EncryptionKeys["k1"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
                options.ActiveKeyId = "k1";
            })
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    [OneTimeTearDown]
    public async Task Dispose_services() => await _services.DisposeAsync();

    [Test]
    public void Should_fail_to_migrate_with_a_connection_error()
    {
        var migrator = _services.GetRequiredService<IDatabaseMigrator>();

        Assert.That(() => migrator.MigrateAsync(CancellationToken.None), Throws.InstanceOf<SqlException>());
    }

    [Test]
    public void Should_build_the_migration_engine_and_fail_only_to_connect()
    {
        var migrator = _services.GetRequiredService<IDatabaseMigrator>();

        Assert.That(() => migrator.GetPendingScriptsAsync(CancellationToken.None), Throws.InstanceOf<SqlException>());
    }

    [Test]
    public void Should_resolve_every_sql_server_store()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_services.GetRequiredService<IInboxStore>().GetType().Name, Does.StartWith("SqlServer"));
            Assert.That(_services.GetRequiredService<IOutboxStore>().GetType().Name, Does.StartWith("SqlServer"));
            Assert.That(_services.GetRequiredService<IInstallationStore>().GetType().Name, Does.StartWith("SqlServer"));
            Assert.That(_services.GetRequiredService<ITokenKeyRotator>().GetType().Name, Does.StartWith("SqlServer"));
            Assert.That(_services.GetRequiredService<IContactIndexStore>().GetType().Name, Does.StartWith("SqlServer"));
            Assert.That(_services.GetRequiredService<IDeadLetterStore>().GetType().Name, Does.StartWith("SqlServer"));
            Assert.That(_services.GetRequiredService<IRateLimitStore>().GetType().Name, Does.StartWith("SqlServer"));
        }
    }

    [Test]
    public void Should_fail_a_store_call_with_a_connection_error()
    {
        var inbox = _services.GetRequiredService<IInboxStore>();

        Assert.That(() => inbox.IsProcessedAsync("consumer", Guid.NewGuid(), CancellationToken.None), Throws.InstanceOf<SqlException>());
    }
}
