using Microsoft.Extensions.Options;
using Sync.HoopAi.Webhooks;

namespace Sync.Ingress.Internal;

/// <summary>The verifiers built once from validated options.</summary>
internal sealed class WebhookVerifiers : IDisposable
{
    private readonly Dictionary<string, StandardWebhooksVerifier> _sources;

    public WebhookVerifiers(IOptions<IngressOptions> options)
    {
        var value = options.Value;
        Platform = Ed25519SignatureVerifier.FromSubjectPublicKeyInfo(value.Platform.Ed25519PublicKey);
        LegacyPlatform = value.Platform.AcceptRsa ? RsaSha256SignatureVerifier.FromPem(value.Platform.RsaPublicKey) : null;
        _sources = value.Sources.ToDictionary(
            pair => pair.Key.ToLowerInvariant(),
            pair => new StandardWebhooksVerifier(pair.Value.Secrets),
            StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Verifies <c>X-GHL-Signature</c>.</summary>
    public Ed25519SignatureVerifier Platform { get; }

    /// <summary>Verifies <c>x-wh-signature</c>; null unless the legacy scheme is enabled.</summary>
    public RsaSha256SignatureVerifier? LegacyPlatform { get; }

    /// <summary>The verifier of a configured source, with its canonical (lower-case) name.</summary>
    public bool TryGetSource(string name, out string canonicalName, out StandardWebhooksVerifier verifier)
    {
        canonicalName = name.ToLowerInvariant();
        return _sources.TryGetValue(name, out verifier!);
    }

    public void Dispose() => LegacyPlatform?.Dispose();
}
