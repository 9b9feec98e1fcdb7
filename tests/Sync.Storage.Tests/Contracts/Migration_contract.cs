using Microsoft.Data.SqlClient;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Sync.Storage.Internal;
using Sync.Storage.Tests.Infrastructure;

namespace Sync.Storage.Tests.Contracts;

/// <summary>What migrating does on every provider. Each test starts from a database of its own.</summary>
public abstract class Migration_contract : StorageFixture
{
    private readonly List<ServiceProvider> _built = [];

    protected override bool MigrateInSetUp => false;

    [TearDown]
    public async Task Dispose_service_providers()
    {
        foreach (var provider in _built)
        {
            await provider.DisposeAsync();
        }

        _built.Clear();
    }

    [Test]
    public async Task Should_create_every_table_on_an_empty_database()
    {
        await using var fresh = await TestDatabase.CreateAsync(Provider);
        var migrator = Build(fresh).GetRequiredService<IDatabaseMigrator>();

        var result = await migrator.MigrateAsync(None);
        var tables = await TablesOf(fresh);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.AppliedScripts, Is.EqualTo(DatabaseMigrator.ScriptNames(Provider)));
            Assert.That(tables, Is.SupersetOf(Tables.All).And.Contains(Tables.Journal));
        }
    }

    [Test]
    public async Task Should_apply_nothing_the_second_time()
    {
        await using var fresh = await TestDatabase.CreateAsync(Provider);
        var migrator = Build(fresh).GetRequiredService<IDatabaseMigrator>();
        await migrator.MigrateAsync(None);

        var second = await migrator.MigrateAsync(None);
        var pending = await migrator.GetPendingScriptsAsync(None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.AppliedScripts, Is.Empty);
            Assert.That(pending, Is.Empty);
        }
    }

    [Test]
    public async Task Should_apply_each_script_once_when_hosts_migrate_together()
    {
        await using var fresh = await TestDatabase.CreateAsync(Provider);
        var migrators = Enumerable.Range(0, 3).Select(_ => Build(fresh).GetRequiredService<IDatabaseMigrator>()).ToList();

        var results = await Task.WhenAll(migrators.Select(m => Task.Run(() => m.MigrateAsync(None))));

        Assert.That(results.SelectMany(r => r.AppliedScripts), Is.EqualTo(DatabaseMigrator.ScriptNames(Provider)));
    }

    [Test]
    public async Task Should_migrate_before_hosted_services_start_when_the_host_starts()
    {
        await using var fresh = await TestDatabase.CreateAsync(Provider);
        var builder = Host.CreateApplicationBuilder();
        Configure(builder.Services, fresh, migrateOnStart: true);
        builder.Services.AddHostedService<TablesAtStart>();
        using var host = builder.Build();

        await host.StartAsync(None);
        var seen = host.Services.GetServices<IHostedService>().OfType<TablesAtStart>().Single().Tables;
        await host.StopAsync(None);

        Assert.That(seen, Is.SupersetOf(Tables.All));
    }

    [Test]
    public async Task Should_not_migrate_on_start_when_told_not_to()
    {
        await using var fresh = await TestDatabase.CreateAsync(Provider);
        var builder = Host.CreateApplicationBuilder();
        Configure(builder.Services, fresh, migrateOnStart: false);
        using var host = builder.Build();

        await host.StartAsync(None);
        await host.StopAsync(None);
        var pending = await host.Services.GetRequiredService<IDatabaseMigrator>().GetPendingScriptsAsync(None);

        Assert.That(pending, Is.EqualTo(DatabaseMigrator.ScriptNames(Provider)));
    }

    [Test]
    public async Task Should_create_a_missing_database_when_told_to()
    {
        var name = $"sync_storage_created_{Guid.NewGuid():N}";
        var connectionString = Provider == DatabaseProvider.PostgreSql
            ? new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Database = name }.ConnectionString
            : new SqlConnectionStringBuilder(Database.ConnectionString) { InitialCatalog = name }.ConnectionString;
        var services = new ServiceCollection();
        services.AddSyncStorage(options =>
        {
            options.Provider = Provider;
            options.ConnectionString = connectionString;
            options.CreateDatabaseIfMissing = true;
            options.EncryptionKeys["k1"] = Keys["k1"];
            options.ActiveKeyId = "k1";
        });
        var provider = services.BuildServiceProvider();
        IReadOnlyList<string> tables;
        try
        {
            await provider.GetRequiredService<IDatabaseMigrator>().MigrateAsync(None);
            tables = await ListTablesAsync(provider.GetRequiredService<IUnitOfWorkFactory>());
        }
        finally
        {
            await provider.DisposeAsync();
            await DropAsync(name);
        }

        Assert.That(tables, Is.SupersetOf(Tables.All));
    }

    private ServiceProvider Build(TestDatabase database)
    {
        var services = new ServiceCollection();
        Configure(services, database, migrateOnStart: false);
        var provider = services.BuildServiceProvider();
        _built.Add(provider);
        return provider;
    }

    private void Configure(IServiceCollection services, TestDatabase database, bool migrateOnStart) =>
        services.AddSyncStorage(options =>
        {
            options.Provider = Provider;
            options.ConnectionString = database.ConnectionString;
            options.MigrateOnStart = migrateOnStart;
            options.EncryptionKeys["k1"] = Keys["k1"];
            options.ActiveKeyId = "k1";
        });

    private async Task<IReadOnlyList<string>> TablesOf(TestDatabase database)
    {
        var services = Build(database);
        return await ListTablesAsync(services.GetRequiredService<IUnitOfWorkFactory>());
    }

    private async Task DropAsync(string name)
    {
        if (Provider == DatabaseProvider.PostgreSql)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(Database.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        else
        {
            SqlConnection.ClearAllPools();
            await using var connection = new SqlConnection(Database.ConnectionString);
            await connection.OpenAsync();
            await using var drop = new SqlCommand(
                $"IF DB_ID(N'{name}') IS NOT NULL BEGIN ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}]; END",
                connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    internal static async Task<IReadOnlyList<string>> ListTablesAsync(IUnitOfWorkFactory factory)
    {
        await using var unitOfWork = await factory.BeginAsync(CancellationToken.None);
        var tables = await Dapper.SqlMapper.QueryAsync<string>(
            unitOfWork.Connection,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = @Schema",
            new { Schema = Tables.Schema },
            unitOfWork.Transaction);
        return tables.ToList();
    }

    /// <summary>A hosted service that looks at the schema when it starts, as any service using the database would.</summary>
    private sealed class TablesAtStart(IUnitOfWorkFactory factory) : IHostedService
    {
        public IReadOnlyList<string> Tables { get; private set; } = [];

        public async Task StartAsync(CancellationToken cancellationToken) => Tables = await ListTablesAsync(factory);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

[TestFixture]
public sealed class When_migrating_postgresql : Migration_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.PostgreSql;
}

[TestFixture]
public sealed class When_migrating_sql_server : Migration_contract
{
    protected override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
