using System.CommandLine;

namespace Sync.Admin.Commands;

/// <summary>Options several commands share, with their validation.</summary>
internal static class AdminOptions
{
    /// <summary>Longest location or company id the database stores.</summary>
    public const int MaxIdLength = 64;

    public static Option<string> Location(string description)
    {
        var option = new Option<string>("--location") { Description = description, Required = true, HelpName = "id" };
        option.Validators.Add(result => ValidateId(result, "--location"));
        return option;
    }

    public static Option<string?> Company()
    {
        var option = new Option<string?>("--company") { Description = "The company (agency) id the location belongs to.", HelpName = "id" };
        option.Validators.Add(result => ValidateId(result, "--company"));
        return option;
    }

    public static Option<FileInfo?> TokenFile() => new("--token-file")
    {
        Description = "Read the token from this file instead of standard input (surrounding whitespace is trimmed).",
        HelpName = "file",
    };

    private static void ValidateId(System.CommandLine.Parsing.OptionResult result, string name)
    {
        var value = result.GetValueOrDefault<string?>();
        if (value is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            result.AddError($"{name} must not be empty.");
        }
        else if (value.Length > MaxIdLength)
        {
            result.AddError($"{name} must be at most {MaxIdLength} characters.");
        }
        else if (value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            result.AddError($"{name} must not contain whitespace.");
        }
    }
}
