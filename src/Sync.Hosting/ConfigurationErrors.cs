using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Sync.Hosting;

/// <summary>Tells a bad setting from a bug, and says which key is bad in one line.</summary>
public static partial class ConfigurationErrors
{
    /// <summary>
    /// One line naming the bad key(s) when <paramref name="exception"/> is, or only wraps, configuration errors: failed
    /// options validation, or a value the configuration binder could not convert. Null for anything else.
    /// </summary>
    public static string? Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var problems = new List<string>();
        return Collect(exception, problems) && problems.Count > 0
            ? string.Join("; ", problems.Select(problem => problem.TrimEnd('.')).Distinct(StringComparer.Ordinal))
            : null;
    }

    private static bool Collect(Exception exception, List<string> problems)
    {
        switch (exception)
        {
            case OptionsValidationException invalid:
                problems.AddRange(invalid.Failures.Select(Clean));
                return true;
            case InvalidOperationException when ConvertFailure().Match(exception.Message) is { Success: true } convert:
                problems.Add($"{convert.Groups["key"].Value} cannot be '{OneLine(convert.Groups["value"].Value)}' (not a valid {ShortName(convert.Groups["type"].Value)})");
                return true;
            case AggregateException aggregate:
                // Several hosted services may fail at once: only when all of them failed on configuration is it one.
                return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(inner => Collect(inner, problems));
            default:
                // A wrapper ("Hosting failed to start", a reflection call) is judged by what it wraps.
                return exception.InnerException is { } wrapped && Collect(wrapped, problems);
        }
    }

    // DataAnnotations wrap the attribute's message, which already names the key: keep only that.
    private static string Clean(string failure)
    {
        var annotation = DataAnnotationFailure().Match(failure);
        return OneLine(annotation.Success ? annotation.Groups["error"].Value : failure);
    }

    private static string OneLine(string text) => NewLines().Replace(text.Trim(), " ");

    private static string ShortName(string type) => type[(type.LastIndexOf('.') + 1)..];

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex ConvertFailure();

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '[^']*' with the error: '(?<error>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();

    [GeneratedRegex(@"\s*[\r\n]+\s*")]
    private static partial Regex NewLines();
}
