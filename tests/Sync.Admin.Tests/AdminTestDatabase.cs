using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Sync.Storage;
using Sync.Testing;

namespace Sync.Admin.Tests;

/// <summary>
/// A database of its own for one fixture, the settings that point <c>sync-admin</c> at it (with a random encryption
/// key), the storage services to seed and inspect it, and a way to run the CLI in-process.
/// </summary>
internal sealed class AdminTestDatabase : IAsyncDisposable
{
    public const string KeyId = "test-key";

    private readonly PostgresTestDatabase _database;

    private AdminTestDatabase(PostgresTestDatabase database)
    {
        _database = database;
        Key = NewKey();
        Settings = new Dictionary<string, string?>
        {
            ["Sync:Storage:Provider"] = nameof(DatabaseProvider.PostgreSql),
            ["Sync:Storage:ConnectionString"] = database.ConnectionString,
            ["Sync:Storage:ActiveKeyId"] = KeyId,
            [$"Sync:Storage:EncryptionKeys:{KeyId}"] = Key,
        };
        Storage = BuildStorage(Settings);
    }

    public string ConnectionString => _database.ConnectionString;

    /// <summary>Base64 of this database's encryption key.</summary>
    public string Key { get; }

    /// <summary>The settings the CLI runs with (overrides over appsettings.json and the environment).</summary>
    public Dictionary<string, string?> Settings { get; }

    /// <summary>Storage services on this database, with the same key as the CLI.</summary>
    public ServiceProvider Storage { get; }

    public IInstallationStore Installations => Storage.GetRequiredService<IInstallationStore>();

    public static async Task<AdminTestDatabase> CreateAsync(bool migrate = true)
    {
        var database = new AdminTestDatabase(await PostgresTestDatabase.CreateAsync("sync_admin_test"));
        if (migrate)
        {
            await database.Storage.GetRequiredService<IDatabaseMigrator>().MigrateAsync(CancellationToken.None);
        }

        return database;
    }

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static ServiceProvider BuildStorage(IReadOnlyDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddSyncStorage(configuration).BuildServiceProvider();
    }

    /// <summary>Runs <c>sync-admin</c> with empty standard input.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync("", args);

    /// <summary>Runs <c>sync-admin</c> with <paramref name="stdin"/> piped in (not a terminal).</summary>
    public Task<CliResult> RunWithInputAsync(string stdin, params string[] args) => RunWithSettingsAsync(Settings, stdin, args);

    public static async Task<CliResult> RunWithSettingsAsync(IReadOnlyDictionary<string, string?>? settings, string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var overrides = settings is null ? null : new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var exitCode = await AdminCli.RunAsync(args, new StringReader(stdin), stdout, stderr, overrides);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs <c>sync-admin</c> as if a person answered at a terminal with <paramref name="typed"/>.</summary>
    public async Task<CliResult> RunInteractiveAsync(string typed, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new AdminConsole(new StringReader(typed), stdout, stderr, isInteractive: true);
        var exitCode = await AdminCli.RunAsync(args, console, new ConfigurationBuilder().AddInMemoryCollection(Settings).Build());
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Stores an installation directly, as the worker's INSTALL handling would.</summary>
    public Task SeedInstallationAsync(
        string locationId,
        AuthMode authMode = AuthMode.PrivateIntegration,
        string accessToken = "seeded-access-token",
        string? refreshToken = null,
        InstallationStatus status = InstallationStatus.Active,
        DateTimeOffset? expiresAt = null,
        string? companyId = "company-1") =>
        Installations.SaveAsync(
            new Installation(locationId, companyId, authMode, status, accessToken, refreshToken, expiresAt, DateTimeOffset.UtcNow),
            CancellationToken.None);

    /// <summary>Runs one scalar query against the database (for what the stores do not expose, such as raw ciphertext).</summary>
    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    public async ValueTask DisposeAsync()
    {
        await Storage.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>What a run of the CLI returned and wrote.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string AllOutput => Stdout + Stderr;
}
