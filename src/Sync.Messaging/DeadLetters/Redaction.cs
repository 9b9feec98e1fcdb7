using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sync.Messaging.DeadLetters;

/// <summary>
/// What leaves Sync through exports and the admin API: personal data (emails and phones masked, names dropped) unless
/// the caller asks for it, and secrets (bearer tokens, token fields) never.
/// </summary>
public static partial class Redaction
{
    /// <summary>What replaces a removed secret.</summary>
    public const string Hidden = "***";

    private static readonly HashSet<string> NameProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        "name", "firstName", "lastName", "fullName", "contactName", "firstNameRaw", "lastNameRaw", "first_name", "last_name", "full_name",
    };

    private static readonly HashSet<string> EmailProperties = new(StringComparer.OrdinalIgnoreCase) { "email", "emailAddress", "email_address" };

    private static readonly HashSet<string> PhoneProperties = new(StringComparer.OrdinalIgnoreCase) { "phone", "phoneNumber", "phone_number", "mobile" };

    private static readonly HashSet<string> SecretProperties = new(StringComparer.OrdinalIgnoreCase)
    {
        "access_token", "refresh_token", "accessToken", "refreshToken", "token", "client_secret", "clientSecret", "authorization", "password",
    };

    /// <summary>Removes bearer tokens and token-like fields from free text (API answers, fault messages).</summary>
    public static string? RemoveSecrets(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        text = Bearer().Replace(text, "Bearer " + Hidden);
        return SecretField().Replace(text, m => $"{m.Groups["key"].Value}{m.Groups["sep"].Value}\"{Hidden}\"");
    }

    /// <summary>Masks emails and phone numbers in free text (and removes secrets).</summary>
    public static string? RedactText(string? text)
    {
        text = RemoveSecrets(text);
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        text = Email().Replace(text, m => MaskEmail(m.Value));
        return Phone().Replace(text, m => MaskPhone(m.Value));
    }

    /// <summary>
    /// Redacts a JSON document: name fields dropped, email and phone fields masked, secrets hidden, and string values
    /// that are JSON themselves (a webhook's payload) redacted in turn. Text that is not JSON is redacted as text.
    /// </summary>
    public static string RedactJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return RedactText(json) ?? "";
        }

        return node is null ? json : Redact(node)?.ToJsonString() ?? "null";
    }

    /// <summary>Masks an email: the first character of the local part and the domain stay (<c>a***@example.com</c>).</summary>
    public static string MaskEmail(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at <= 0 ? Hidden : email[0] + Hidden + email[at..];
    }

    /// <summary>Masks a phone number: only its last two digits stay (<c>***99</c>).</summary>
    public static string MaskPhone(string phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        var digits = new string([.. phone.Where(char.IsAsciiDigit)]);
        return digits.Length <= 2 ? Hidden : Hidden + digits[^2..];
    }

    private static JsonNode? Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (NameProperties.Contains(key))
                    {
                        obj.Remove(key);
                    }
                    else if (SecretProperties.Contains(key) && value is JsonValue)
                    {
                        obj[key] = Hidden;
                    }
                    else if (EmailProperties.Contains(key) && value is JsonValue email && email.TryGetValue<string>(out var e))
                    {
                        obj[key] = MaskEmail(e);
                    }
                    else if (PhoneProperties.Contains(key) && value is JsonValue phone && phone.TryGetValue<string>(out var p))
                    {
                        obj[key] = MaskPhone(p);
                    }
                    else
                    {
                        var redacted = Redact(value);
                        if (!ReferenceEquals(redacted, value))
                        {
                            obj[key] = redacted;
                        }
                    }
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var redacted = Redact(array[i]);
                    if (!ReferenceEquals(redacted, array[i]))
                    {
                        array[i] = redacted;
                    }
                }

                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                var trimmed = text.TrimStart();
                var redactedText = trimmed.StartsWith('{') || trimmed.StartsWith('[') ? RedactJson(text) : RedactText(text);
                return redactedText == text ? value : JsonValue.Create(redactedText);
            default:
                return node;
        }
    }

    [GeneratedRegex(@"Bearer\s+[A-Za-z0-9\-._~+/]+=*", RegexOptions.IgnoreCase)]
    private static partial Regex Bearer();

    [GeneratedRegex("(?<key>\"(?:access_token|refresh_token|accessToken|refreshToken|token|client_secret|clientSecret)\")(?<sep>\\s*:\\s*)\"[^\"]*\"", RegexOptions.IgnoreCase)]
    private static partial Regex SecretField();

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    // A phone: an optional +, then at least 7 digits with spaces, dots, dashes or parentheses between them.
    [GeneratedRegex(@"(?<![\w-])\+?\(?\d[\d\s().\-]{6,}\d(?![\w-])")]
    private static partial Regex Phone();
}
