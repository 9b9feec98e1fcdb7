namespace Sync.Admin;

/// <summary>
/// Reads a private-integration token from a file or standard input — never from the command line, where process
/// lists and shell history would keep it. Surrounding whitespace and newlines are trimmed; an empty token, or one with
/// whitespace inside it, is refused.
/// </summary>
internal static class TokenInput
{
    /// <summary>Longest token accepted; real ones are far shorter. Bounds what a wrong file or pipe makes us read.</summary>
    public const int MaxLength = 16 * 1024;

    public static async Task<string> ReadAsync(FileInfo? tokenFile, AdminConsole console, string locationId, CancellationToken cancellationToken)
    {
        string? raw;
        string source;
        if (tokenFile is not null)
        {
            source = $"the token file '{tokenFile.FullName}'";
            raw = await ReadFileAsync(tokenFile, cancellationToken);
        }
        else if (console.IsInteractive)
        {
            source = "the prompt";
            raw = console.ReadSecret($"Private-integration token for location {locationId} (input hidden, Enter to finish): ");
        }
        else
        {
            source = "standard input";
            raw = await ReadBoundedAsync(console.Input, source, cancellationToken);
        }

        var token = raw?.Trim() ?? "";
        if (token.Length == 0)
        {
            throw CommandFailedException.Usage(
                $"no token: {source} was empty. Give the token on standard input (e.g. `< token.txt`) or with --token-file <file>.");
        }

        if (token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw CommandFailedException.Usage($"the token from {source} has whitespace or control characters inside it: give exactly one token.");
        }

        return token;
    }

    private static async Task<string> ReadFileAsync(FileInfo file, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            throw CommandFailedException.Usage($"the token file '{file.FullName}' does not exist.");
        }

        try
        {
            using var reader = file.OpenText();
            return await ReadBoundedAsync(reader, $"the token file '{file.FullName}'", cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CommandFailedException.Usage($"cannot read the token file '{file.FullName}': {ex.Message}");
        }
    }

    private static async Task<string> ReadBoundedAsync(TextReader reader, string source, CancellationToken cancellationToken)
    {
        var buffer = new char[MaxLength + 1];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await reader.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        if (length > MaxLength)
        {
            throw CommandFailedException.Usage($"{source} holds more than {MaxLength} characters: that is not a token.");
        }

        return new string(buffer, 0, length);
    }
}
