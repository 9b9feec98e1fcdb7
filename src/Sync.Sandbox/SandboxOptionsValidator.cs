using Microsoft.Extensions.Options;

namespace Sync.Sandbox;

/// <summary>Checks <see cref="SandboxOptions"/> at start and every runtime change of limits or faults, naming the bad setting.</summary>
internal sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        var errors = Check(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Check(SandboxOptions options)
    {
        var errors = new List<string>();
        const string s = SandboxOptions.SectionName;
        if (options.AccessTokenLifetimeSeconds < 1)
        {
            errors.Add($"{s}:AccessTokenLifetimeSeconds must be at least 1 (got {options.AccessTokenLifetimeSeconds}).");
        }

        if (options.AuthorizationCodeLifetimeSeconds < 1)
        {
            errors.Add($"{s}:AuthorizationCodeLifetimeSeconds must be at least 1 (got {options.AuthorizationCodeLifetimeSeconds}).");
        }

        for (var i = 0; i < options.OAuthClients.Count; i++)
        {
            var client = options.OAuthClients[i];
            if (string.IsNullOrWhiteSpace(client.ClientId) || string.IsNullOrWhiteSpace(client.ClientSecret) || string.IsNullOrWhiteSpace(client.AppId))
            {
                errors.Add($"{s}:OAuthClients:{i} needs ClientId, ClientSecret and AppId.");
            }
        }

        for (var i = 0; i < options.PrivateTokens.Count; i++)
        {
            var token = options.PrivateTokens[i];
            if (string.IsNullOrWhiteSpace(token.Token) || string.IsNullOrWhiteSpace(token.LocationId) || string.IsNullOrWhiteSpace(token.AppId))
            {
                errors.Add($"{s}:PrivateTokens:{i} needs Token, LocationId and AppId.");
            }
        }

        errors.AddRange(Check(options.RateLimit, $"{s}:RateLimit:"));
        errors.AddRange(Check(options.Faults, $"{s}:Faults:"));
        return errors;
    }

    public static List<string> Check(SandboxRateLimitOptions limits, string prefix = "")
    {
        var errors = new List<string>();
        if (limits.BurstLimit is < 1 or > 1_000_000)
        {
            errors.Add($"{prefix}BurstLimit must be between 1 and 1,000,000 (got {limits.BurstLimit}).");
        }

        if (limits.BurstIntervalMilliseconds < 1)
        {
            errors.Add($"{prefix}BurstIntervalMilliseconds must be at least 1 (got {limits.BurstIntervalMilliseconds}).");
        }

        if (limits.DailyLimit < 1)
        {
            errors.Add($"{prefix}DailyLimit must be at least 1 (got {limits.DailyLimit}).");
        }

        if (limits.DailyWindowSeconds is < 1 or > 604_800)
        {
            errors.Add($"{prefix}DailyWindowSeconds must be between 1 and 604,800 (got {limits.DailyWindowSeconds}).");
        }

        if (limits.BulkTagsMaxContacts < 1)
        {
            errors.Add($"{prefix}BulkTagsMaxContacts must be at least 1 (got {limits.BulkTagsMaxContacts}).");
        }

        if (!Enum.IsDefined(limits.Window))
        {
            errors.Add($"{prefix}Window must be Sliding or Fixed.");
        }

        return errors;
    }

    public static List<string> Check(SandboxFaultOptions faults, string prefix = "")
    {
        var errors = new List<string>();
        void Percent(string name, double value)
        {
            if (value is < 0 or > 100 || double.IsNaN(value))
            {
                errors.Add($"{prefix}{name} must be between 0 and 100 (got {value}).");
            }
        }

        void NotNegative(string name, int value)
        {
            if (value < 0)
            {
                errors.Add($"{prefix}{name} must not be negative (got {value}).");
            }
        }

        Percent(nameof(faults.Error500Percent), faults.Error500Percent);
        Percent(nameof(faults.Error502Percent), faults.Error502Percent);
        Percent(nameof(faults.Error503Percent), faults.Error503Percent);
        Percent(nameof(faults.Error504Percent), faults.Error504Percent);
        Percent(nameof(faults.ErrorsAfterEffectPercent), faults.ErrorsAfterEffectPercent);
        Percent(nameof(faults.HangPercent), faults.HangPercent);
        if (faults.Error500Percent + faults.Error502Percent + faults.Error503Percent + faults.Error504Percent > 100)
        {
            errors.Add($"{prefix}the error percentages together must not exceed 100.");
        }

        NotNegative(nameof(faults.LatencyMilliseconds), faults.LatencyMilliseconds);
        NotNegative(nameof(faults.LatencyJitterMilliseconds), faults.LatencyJitterMilliseconds);
        NotNegative(nameof(faults.HangSeconds), faults.HangSeconds);
        NotNegative(nameof(faults.Force429Count), faults.Force429Count);
        NotNegative(nameof(faults.Force429Seconds), faults.Force429Seconds);
        if (faults.OAuthErrorStatus is not (0 or 408 or 429 or 500 or 502 or 503 or 504))
        {
            errors.Add($"{prefix}OAuthErrorStatus must be 0, 408, 429, 500, 502, 503 or 504 (got {faults.OAuthErrorStatus}).");
        }

        return errors;
    }
}
