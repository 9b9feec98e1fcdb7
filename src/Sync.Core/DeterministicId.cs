using System.Security.Cryptography;
using System.Text;

namespace Sync.Core;

/// <summary>
/// Name-based identifiers (RFC 9562 version 8, SHA-256 of a namespace and a name): the same inputs give the same
/// <see cref="Guid"/> in every process, so a message id derived from an event's own id makes a redelivered or
/// re-sent event recognisable as a duplicate.
/// </summary>
public static class DeterministicId
{
    /// <summary>Namespace for webhook message ids.</summary>
    public static readonly Guid WebhookNamespace = new("6d1f2a0e-0c57-4a53-9a3e-52b1f6d1c001");

    /// <summary>The message id of a webhook event: a function of its source and its event id alone.</summary>
    /// <param name="source">The webhook source (<c>hoopai</c> or a configured source name); compared case-insensitively.</param>
    /// <param name="eventId">The event's own id; compared exactly.</param>
    public static Guid ForWebhook(string source, string eventId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(eventId);
        return Create(WebhookNamespace, source.ToLowerInvariant() + "\n" + eventId);
    }

    /// <summary>Creates a version 8 UUID from SHA-256 over the namespace's bytes followed by the UTF-8 name.</summary>
    public static Guid Create(Guid @namespace, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        @namespace.TryWriteBytes(input, bigEndian: true, out _);
        nameBytes.CopyTo(input, 16);

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
