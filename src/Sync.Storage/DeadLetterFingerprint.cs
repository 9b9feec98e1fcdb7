using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Sync.Storage;

/// <summary>
/// Groups alike failures: a hash of the message type, the fault type and the fault message with its variable parts
/// (ids, numbers, quoted values) replaced by placeholders, so "contact 123 not found" and "contact 456 not found" share
/// one fingerprint.
/// </summary>
public static partial class DeadLetterFingerprint
{
    /// <summary>The fingerprint: 32 lowercase hex characters (the first 128 bits of a SHA-256).</summary>
    public static string Compute(string? messageType, string? faultType, string? faultMessage) =>
        Compute(messageType, faultType, faultMessage, consumer: null);

    /// <summary>
    /// The fingerprint including the consumer that failed: the same fault in two consumers is two groups. Without a
    /// consumer it equals the three-argument fingerprint.
    /// </summary>
    public static string Compute(string? messageType, string? faultType, string? faultMessage, string? consumer)
    {
        var input = string.Join('\n', messageType ?? "", faultType ?? "", NormaliseMessage(faultMessage));
        if (!string.IsNullOrEmpty(consumer))
        {
            input += "\n" + consumer;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(input), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    /// <summary>The fault message with its variable parts replaced: what the fingerprint hashes.</summary>
    public static string NormaliseMessage(string? faultMessage)
    {
        if (string.IsNullOrWhiteSpace(faultMessage))
        {
            return "";
        }

        var text = Guids().Replace(faultMessage, "{id}");
        text = Quoted().Replace(text, "{value}");
        text = HexOrNumbers().Replace(text, "{n}");
        text = Whitespace().Replace(text, " ");
        return text.Trim();
    }

    [GeneratedRegex(@"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b")]
    private static partial Regex Guids();

    [GeneratedRegex("""'[^']*'|"[^"]*"|`[^`]*`""")]
    private static partial Regex Quoted();

    // Numbers, and words that mix letters with digits (ids such as "ve9EPM428h8vShlRW1KT" or "0x1F").
    [GeneratedRegex(@"\b(?=[0-9A-Za-z_]*[0-9])[0-9A-Za-z_]+\b")]
    private static partial Regex HexOrNumbers();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
