using System.ComponentModel.DataAnnotations;
using System.Net;
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

        Nested(options.Platform, section + ":Platform", failures);
        Nested(options.OAuth, section + ":OAuth", failures);
        Nested(options.Tls, section + ":Tls", failures);

        if (options.Platform.Enabled && string.IsNullOrWhiteSpace(options.Platform.AppId))
        {
            failures.Add($"{section}:Platform:AppId is required while {section}:Platform:Enabled is true: this marketplace app's id, " +
                         "which INSTALL and UNINSTALL events must carry.");
        }

        if (options.OAuth.StateKey.Length > 0 && OAuthStateKeyProblem(options.OAuth.StateKey) is { } stateKeyProblem)
        {
            failures.Add($"{section}:OAuth:StateKey {stateKeyProblem}");
        }

        if (options.OAuth.AuthorizeUrl is not { IsAbsoluteUri: true } authorize || authorize.Scheme != Uri.UriSchemeHttps && !authorize.IsLoopback)
        {
            failures.Add($"{section}:OAuth:AuthorizeUrl must be an absolute https address (http only on loopback).");
        }

        if (options.OAuth.RedirectUri.Length > 0 && !Uri.TryCreate(options.OAuth.RedirectUri, UriKind.Absolute, out _))
        {
            failures.Add($"{section}:OAuth:RedirectUri must be an absolute address (or empty).");
        }

        if (string.IsNullOrWhiteSpace(options.OAuth.PendingDirectory) || options.OAuth.PendingDirectory.Contains('\0', StringComparison.Ordinal))
        {
            failures.Add($"{section}:OAuth:PendingDirectory must name a directory (relative paths are under the content root).");
        }

        if (options.Tls.Enabled && TlsCertificate.Problem(options.Tls) is { } tlsProblem)
        {
            failures.Add($"{section}:Tls:CertificatePath {tlsProblem}");
        }

        foreach (var proxy in options.ForwardedHeaders.KnownProxies)
        {
            if (!IPAddress.TryParse(proxy, out _))
            {
                failures.Add($"{section}:ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address.");
            }
        }

        foreach (var network in options.ForwardedHeaders.KnownNetworks)
        {
            if (!IPNetwork.TryParse(network, out _))
            {
                failures.Add($"{section}:ForwardedHeaders:KnownNetworks: '{network}' is not a CIDR network (e.g. 10.0.0.0/8).");
            }
        }

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

            // Imported rows are events of this source: a webhook source of the same name would share their message ids.
            if (string.Equals(sourceName, Sync.Core.Events.WebhookNormalizer.ImportSource, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{section}:Sources:{sourceName}: the name '{Sync.Core.Events.WebhookNormalizer.ImportSource}' is reserved for sync-admin import.");
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

    private static void Nested(object value, string prefix, List<string> failures)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => $"{prefix}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
        }
    }

    private static string? OAuthStateKeyProblem(string key)
    {
        var buffer = new byte[key.Length];
        return Convert.TryFromBase64String(key, buffer, out var length)
            ? length >= OAuthState.MinKeyBytes ? null : $"decodes to {length} bytes; at least {OAuthState.MinKeyBytes} are needed."
            : "is not valid base64.";
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex SourceName();
}
