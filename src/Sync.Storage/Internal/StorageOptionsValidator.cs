using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using System.Text;
using Microsoft.Data.SqlClient;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Sync.Storage.Internal;

/// <summary>Checks <see cref="StorageOptions"/> at start-up and says exactly what is wrong, never printing a key or password.</summary>
internal sealed class StorageOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<StorageOptions>
{
    private const string Section = StorageOptions.SectionName;

    // The key committed in the hosts' appsettings.Development.json: public, so it protects nothing anywhere else.
    private const string DevelopmentKey = "zZexxwC0u10YhKWG66YqTnyDG+6LLHiPtwN3R2WS5aE=";

    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();

        var annotations = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), annotations, validateAllProperties: true))
        {
            failures.AddRange(annotations
                .Where(a => !a.MemberNames.Contains(nameof(StorageOptions.ConnectionString)))
                .Select(a => $"{Section}: {a.ErrorMessage}"));
        }

        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add($"{Section}:Provider '{options.Provider}' is not a known database provider; use SqlServer or PostgreSql.");
        }
        else if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{Section}:ConnectionString is required: the ADO.NET connection string of the {options.Provider} database.");
        }
        else if (ConnectionStringProblem(options.Provider, options.ConnectionString) is { } problem)
        {
            failures.Add($"{Section}:ConnectionString is not a valid {options.Provider} connection string: {problem}");
        }

        if (options.Provider == DatabaseProvider.SqlServer && IsGlobalizationInvariant())
        {
            failures.Add($"{Section}:Provider is SqlServer, but this process runs in globalization-invariant mode, which " +
                         "Microsoft.Data.SqlClient refuses: set <InvariantGlobalization>false</InvariantGlobalization> in the host's " +
                         "project file and make sure ICU is installed (Debian: libicu72).");
        }

        ValidateKeys(options, failures, environment?.IsDevelopment() ?? DevelopmentByEnvironmentVariable());
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateKeys(StorageOptions options, List<string> failures, bool development)
    {
        if (options.EncryptionKeys.Count == 0)
        {
            failures.Add($"{Section}:EncryptionKeys is empty: add at least one key (id → base64 of {TokenCipher.KeySize} random bytes, " +
                         "e.g. `openssl rand -base64 32`) and name it in ActiveKeyId.");
        }

        foreach (var (id, value) in options.EncryptionKeys)
        {
            if (string.IsNullOrWhiteSpace(id) || Encoding.UTF8.GetByteCount(id) > TokenCipher.MaxKeyIdBytes)
            {
                failures.Add($"{Section}:EncryptionKeys has a key id that is empty or longer than {TokenCipher.MaxKeyIdBytes} bytes.");
                continue;
            }

            var buffer = new byte[(value?.Length ?? 0) * 3 / 4 + 3];
            if (string.IsNullOrWhiteSpace(value) || !Convert.TryFromBase64String(value.Trim(), buffer, out var length))
            {
                failures.Add($"{Section}:EncryptionKeys:{id} is not valid base64.");
            }
            else if (length != TokenCipher.KeySize)
            {
                failures.Add($"{Section}:EncryptionKeys:{id} decodes to {length} bytes; AES-256 needs exactly {TokenCipher.KeySize}.");
            }
            else if (!development && string.Equals(value.Trim(), DevelopmentKey, StringComparison.Ordinal))
            {
                failures.Add($"{Section}:EncryptionKeys:{id} is the development key committed to the repository; outside the " +
                             "Development environment supply a key of your own (e.g. `openssl rand -base64 32`) from a secret store.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.ActiveKeyId))
        {
            failures.Add($"{Section}:ActiveKeyId is required: the id of the key in EncryptionKeys that encrypts new tokens.");
        }
        else if (!options.EncryptionKeys.ContainsKey(options.ActiveKeyId))
        {
            failures.Add($"{Section}:ActiveKeyId '{options.ActiveKeyId}' is not among EncryptionKeys ({string.Join(", ", options.EncryptionKeys.Keys)}).");
        }
    }

    // A process without a host (sync-admin) reads its environment as the host builders do.
    private static bool DevelopmentByEnvironmentVariable() =>
        string.Equals(
            Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT"),
            Environments.Development,
            StringComparison.OrdinalIgnoreCase);

    private static bool IsGlobalizationInvariant()
    {
        if (AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant))
        {
            return invariant;
        }

        var variable = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT");
        return variable == "1" || string.Equals(variable, "true", StringComparison.OrdinalIgnoreCase);
    }

    private static string? ConnectionStringProblem(DatabaseProvider provider, string connectionString)
    {
        try
        {
            DbConnectionStringBuilder builder = provider == DatabaseProvider.SqlServer
                ? new SqlConnectionStringBuilder(connectionString)
                : new NpgsqlConnectionStringBuilder(connectionString);
            return builder.Count == 0 ? "it names no setting" : null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            // The builders name the offending keyword, never its value.
            return ex.Message;
        }
    }
}
