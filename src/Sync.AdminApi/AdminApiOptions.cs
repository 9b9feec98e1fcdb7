using Microsoft.Extensions.Options;

namespace Sync.AdminApi;

/// <summary>The admin API's keys (<c>Sync:AdminApi</c>).</summary>
public sealed class AdminApiOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Sync:AdminApi";

    /// <summary>Shortest key accepted.</summary>
    public const int MinKeyLength = 32;

    /// <summary>
    /// The API keys by name (the name appears in the audit trail, the key never):
    /// <c>Sync:AdminApi:Keys:ops:Key</c> and <c>Sync:AdminApi:Keys:ops:Scopes</c>. At least one is required.
    /// </summary>
    public Dictionary<string, AdminApiKey> Keys { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One API key.</summary>
public sealed class AdminApiKey
{
    /// <summary>The secret clients send in the <c>X-Api-Key</c> header; at least <see cref="AdminApiOptions.MinKeyLength"/> characters.</summary>
    public string Key { get; set; } = "";

    /// <summary>
    /// What the key may do: <c>read</c> (queries, status), <c>operate</c> (replay, edit, discard) and
    /// <c>personal-data</c> (answers with emails, phones and names unredacted). None listed: read and operate.
    /// </summary>
    /// <remarks>
    /// Empty by default rather than pre-filled: the configuration binder appends to a pre-filled list, so a key
    /// configured with only <c>read</c> would silently keep <c>operate</c>.
    /// </remarks>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The scopes in force: those listed, or read and operate when none are.</summary>
    public IReadOnlyList<string> EffectiveScopes => Scopes.Count > 0 ? Scopes : [AdminApiScopes.Read, AdminApiScopes.Operate];
}

/// <summary>The scopes a key may hold.</summary>
public static class AdminApiScopes
{
    /// <summary>Queries and status.</summary>
    public const string Read = "read";

    /// <summary>Replay, edit and discard.</summary>
    public const string Operate = "operate";

    /// <summary>Personal data unredacted (<c>includePii=true</c>).</summary>
    public const string PersonalData = "personal-data";

    /// <summary>Every scope.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal) { Read, Operate, PersonalData };
}

/// <summary>Checks the keys at start-up, naming the key that is wrong.</summary>
internal sealed class AdminApiOptionsValidator : IValidateOptions<AdminApiOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminApiOptions options)
    {
        var errors = new List<string>();
        if (options.Keys.Count == 0)
        {
            errors.Add($"{AdminApiOptions.SectionName}:Keys must name at least one key (e.g. {AdminApiOptions.SectionName}:Keys:ops:Key); the admin API answers no request without one.");
        }

        foreach (var (keyName, key) in options.Keys)
        {
            if (string.IsNullOrWhiteSpace(key.Key) || key.Key.Length < AdminApiOptions.MinKeyLength)
            {
                errors.Add($"{AdminApiOptions.SectionName}:Keys:{keyName}:Key must be at least {AdminApiOptions.MinKeyLength} characters (e.g. `openssl rand -base64 32`).");
            }

            foreach (var scope in key.Scopes.Where(s => !AdminApiScopes.All.Contains(s)))
            {
                errors.Add($"{AdminApiOptions.SectionName}:Keys:{keyName}:Scopes has unknown scope '{scope}' (known: {string.Join(", ", AdminApiScopes.All)}).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
