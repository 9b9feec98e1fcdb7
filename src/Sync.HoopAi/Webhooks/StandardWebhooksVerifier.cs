using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sync.HoopAi.Webhooks;

/// <summary>
/// Verifies Standard Webhooks signatures (symmetric scheme, <c>v1</c>): HMAC-SHA256 over
/// <c>{webhook-id}.{webhook-timestamp}.{raw body}</c> with the key base64-decoded from a <c>whsec_</c> secret.
/// Several secrets may be configured so a sender can rotate without downtime; the <c>webhook-signature</c> header may
/// carry several space-separated <c>version,base64</c> entries, and one matching <c>v1</c> entry is enough. Entries of
/// other versions (e.g. the asymmetric <c>v1a</c>) are ignored. Comparisons take constant time.
/// </summary>
public sealed class StandardWebhooksVerifier
{
    /// <summary>The header holding the event's unique id.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The header holding the attempt's time, in unix seconds.</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The header holding the signatures.</summary>
    public const string SignatureHeader = "webhook-signature";

    /// <summary>The prefix of serialized secrets.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>The fewest key bytes a secret may have (the specification asks senders for at least 24).</summary>
    public const int MinimumKeyBytes = 24;

    private const int HashLength = 32;

    private readonly byte[][] _keys;

    /// <summary>Creates a verifier that accepts signatures made with any of <paramref name="secrets"/>.</summary>
    /// <param name="secrets">Secrets as <c>whsec_</c> + base64 (the prefix may be left out).</param>
    /// <exception cref="ArgumentException">No secret given, or one is not valid (see <see cref="TryDecodeSecret"/>).</exception>
    public StandardWebhooksVerifier(IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var keys = new List<byte[]>();
        foreach (var secret in secrets)
        {
            if (!TryDecodeSecret(secret, out var key, out var problem))
            {
                throw new ArgumentException(problem, nameof(secrets));
            }

            keys.Add(key);
        }

        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one secret is required.", nameof(secrets));
        }

        _keys = [.. keys];
    }

    /// <summary>
    /// Decodes a secret: strips the optional <c>whsec_</c> prefix, base64-decodes the rest, and requires at least
    /// <see cref="MinimumKeyBytes"/> bytes. <paramref name="problem"/> says what is wrong, never quoting the secret.
    /// </summary>
    public static bool TryDecodeSecret(string? secret, out byte[] key, out string problem)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(secret))
        {
            problem = "a secret is empty";
            return false;
        }

        var text = secret.Trim();
        if (text.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            text = text[SecretPrefix.Length..];
        }

        try
        {
            key = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            problem = $"a secret is not base64 after the '{SecretPrefix}' prefix";
            return false;
        }

        if (key.Length < MinimumKeyBytes)
        {
            problem = $"a secret decodes to {key.Length} bytes; at least {MinimumKeyBytes} are required";
            key = [];
            return false;
        }

        problem = "";
        return true;
    }

    /// <summary>Checks a delivery's headers and body.</summary>
    /// <param name="id">The <c>webhook-id</c> header.</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c> header (unix seconds).</param>
    /// <param name="signatures">The <c>webhook-signature</c> header.</param>
    /// <param name="body">The raw request body bytes, as received.</param>
    /// <param name="now">The current time.</param>
    /// <param name="tolerance">How far the timestamp may be from <paramref name="now"/>, either way.</param>
    public StandardWebhooksVerification Verify(
        string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(timestamp) || string.IsNullOrWhiteSpace(signatures))
        {
            return StandardWebhooksVerification.MissingHeaders;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ||
            seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            return StandardWebhooksVerification.InvalidTimestamp;
        }

        var sentAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if ((now - sentAt).Duration() > tolerance)
        {
            return StandardWebhooksVerification.TimestampOutOfTolerance;
        }

        var prefix = Encoding.UTF8.GetBytes(id + "." + timestamp + ".");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));

        var expected = new byte[_keys.Length][];
        for (var k = 0; k < _keys.Length; k++)
        {
            expected[k] = HMACSHA256.HashData(_keys[k], content);
        }

        Span<byte> candidate = stackalloc byte[HashLength + 3];
        var matched = false;
        foreach (var range in signatures.AsSpan().Split(' '))
        {
            var entry = signatures.AsSpan(range);
            var comma = entry.IndexOf(',');
            if (comma <= 0 || !entry[..comma].SequenceEqual("v1"))
            {
                continue;
            }

            if (!Convert.TryFromBase64Chars(entry[(comma + 1)..], candidate, out var written) || written != HashLength)
            {
                continue;
            }

            // Every entry is compared with every key, so the time taken says nothing about which one matched.
            foreach (var hash in expected)
            {
                matched |= CryptographicOperations.FixedTimeEquals(hash, candidate[..HashLength]);
            }
        }

        return matched ? StandardWebhooksVerification.Valid : StandardWebhooksVerification.NoMatchingSignature;
    }
}

/// <summary>The outcome of <see cref="StandardWebhooksVerifier.Verify"/>.</summary>
public enum StandardWebhooksVerification
{
    /// <summary>A <c>v1</c> signature matched one of the secrets, and the timestamp is within tolerance.</summary>
    Valid,

    /// <summary><c>webhook-id</c>, <c>webhook-timestamp</c> or <c>webhook-signature</c> is missing or empty.</summary>
    MissingHeaders,

    /// <summary><c>webhook-timestamp</c> is not an integer number of unix seconds.</summary>
    InvalidTimestamp,

    /// <summary>The timestamp is further from now than the tolerance (stale, replayed or from the future).</summary>
    TimestampOutOfTolerance,

    /// <summary>No <c>v1</c> entry matched any configured secret.</summary>
    NoMatchingSignature,
}
