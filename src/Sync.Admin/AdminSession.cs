using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sync.HoopAi;
using Sync.Messaging.DeadLetters;
using Sync.Components.Import;
using Sync.Components.Reconcile;
using Sync.Storage;

namespace Sync.Admin;

/// <summary>
/// What every command shares: the console, the global options (--config, --verbose), and the storage services built
/// from configuration for the one command being run. Failures become an exit code and one line on standard error.
/// </summary>
internal sealed class AdminSession(AdminConsole console, IConfiguration? overrides)
{
    public AdminConsole Console { get; } = console;

    public Option<FileInfo> ConfigOption { get; } = new("--config")
    {
        Description = "A JSON file of settings read after appsettings.json and the environment (e.g. {\"Sync\":{\"Storage\":{...}}}).",
        HelpName = "file",
        Recursive = true,
    };

    public Option<bool> VerboseOption { get; } = new("--verbose")
    {
        Description = "Log what the storage library does to standard error, and show stack traces of failures.",
        Recursive = true,
    };

    /// <summary>Builds the services, runs <paramref name="command"/>, and reports any failure.</summary>
    public async Task<int> RunAsync(ParseResult parseResult, Func<IServiceProvider, CancellationToken, Task<int>> command, CancellationToken cancellationToken)
    {
        var verbose = parseResult.GetValue(VerboseOption);
        try
        {
            var configuration = AdminConfiguration.Build(parseResult.GetValue(ConfigOption), overrides);
            await using var services = BuildServices(configuration, verbose);

            // Validate now, not at first use: a configuration mistake is reported as such, before anything runs.
            _ = services.GetRequiredService<IOptions<StorageOptions>>().Value;
            return await command(services, cancellationToken);
        }
        catch (Exception ex)
        {
            return ErrorReport.Write(ex, Console, verbose);
        }
    }

    private ServiceProvider BuildServices(IConfiguration configuration, bool verbose)
    {
        var services = new ServiceCollection();
        services.AddSyncStorage(configuration);
        services.AddSyncDeadLetterOperations(configuration);

        // The CRM, for contacts export and reconcile: tokens from the installations, the budget shared with the workers.
        services.AddSyncHoopAi(configuration);
        services.AddSyncHoopAiClient();
        services.AddSyncReconciler(configuration);
        services.AddSyncImport();

        // Hosts migrate on start; the CLI changes the schema only when asked to (`sync-admin migrate`).
        services.PostConfigure<StorageOptions>(options => options.MigrateOnStart = false);
        services.TryAddSingleton<LocationLifecycle>();
        services.AddLogging(logging =>
        {
            logging.ClearProviders();
            if (verbose)
            {
                logging.SetMinimumLevel(LogLevel.Debug);
                logging.AddProvider(new TextWriterLoggerProvider(Console.Error, LogLevel.Debug));
            }
            else
            {
                logging.SetMinimumLevel(LogLevel.None);
            }
        });
        return services.BuildServiceProvider();
    }
}
