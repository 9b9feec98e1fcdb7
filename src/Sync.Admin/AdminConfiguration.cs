using Microsoft.Extensions.Configuration;

namespace Sync.Admin;

/// <summary>
/// Where settings come from, later sources winning: <c>appsettings.json</c> and <c>appsettings.{environment}.json</c>
/// beside the binary, environment variables (<c>Sync__Storage__ConnectionString</c>), the <c>--config</c> file, then
/// the caller's overrides (tests).
/// </summary>
internal static class AdminConfiguration
{
    public static IConfiguration Build(FileInfo? configFile, IConfiguration? overrides)
    {
        var environment = Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } name ? name : "Production";
        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables();

        if (configFile is not null)
        {
            if (!configFile.Exists)
            {
                throw CommandFailedException.Usage($"the configuration file '{configFile.FullName}' does not exist.");
            }

            builder.AddJsonFile(configFile.FullName, optional: false);
        }

        if (overrides is not null)
        {
            builder.AddConfiguration(overrides);
        }

        try
        {
            return builder.Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException)
        {
            throw CommandFailedException.Usage($"cannot read the configuration: {ex.Message}");
        }
    }
}
