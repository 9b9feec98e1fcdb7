using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Sync.Core.Webhooks;
using Sync.HoopAi.Webhooks;

namespace Sync.Ingress.Internal;

/// <summary>Checks what data annotations cannot: keys parse, secrets decode, source names are usable.</summary>
internal sealed partial class IngressOptionsValidator : IValidateOptions<IngressOptions>
{
    public ValidateOptionsResult Validate(string? name, IngressOptions options)
    {
        var failures = new List<string>();
        const string section = IngressOptions.SectionName;

        if (!Ed25519SignatureVerifier.TryFromSubjectPublicKeyInfo(options.Platform.Ed25519PublicKey, out _))
        {
            failures.Add($"{section}:Platform:Ed25519PublicKey must be the platform's Ed25519 public key as base64 of its SubjectPublicKeyInfo (MCowBQYDK2VwAyEA...).");
        }

        if (options.Platform.AcceptRsa)
        {
            if (!RsaSha256SignatureVerifier.TryFromPem(options.Platform.RsaPublicKey, out var rsa))
            {
                failures.Add($"{section}:Platform:RsaPublicKey must be a PEM RSA public key of at least 2048 bits when {section}:Platform:AcceptRsa is true.");
            }

            rsa?.Dispose();
        }

        foreach (var (sourceName, source) in options.Sources)
        {
            if (!SourceName().IsMatch(sourceName))
            {
                failures.Add($"{section}:Sources:{sourceName}: a source name is 1-64 letters, digits, '-' or '_', starting with a letter or digit.");
                continue;
            }

            if (string.Equals(sourceName, PlatformEventReader.Source, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{section}:Sources:{sourceName}: the name '{PlatformEventReader.Source}' is reserved for the platform.");
            }

            if (source.Secrets.Count == 0)
            {
                failures.Add($"{section}:Sources:{sourceName}:Secrets must hold at least one secret.");
            }

            for (var i = 0; i < source.Secrets.Count; i++)
            {
                if (!StandardWebhooksVerifier.TryDecodeSecret(source.Secrets[i], out _, out var problem))
                {
                    failures.Add($"{section}:Sources:{sourceName}:Secrets:{i}: {problem}.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex SourceName();
}
