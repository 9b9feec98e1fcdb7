using System.Text;

namespace Sync.Admin;

/// <summary>
/// The streams <c>sync-admin</c> reads and writes: results on <see cref="Output"/>, prompts and errors on
/// <see cref="Error"/>, tokens and answers from <see cref="Input"/>. Tests give it their own readers and writers.
/// </summary>
public class AdminConsole
{
    /// <summary>Creates a console over the given streams.</summary>
    /// <param name="input">Standard input: where tokens and confirmations are read from.</param>
    /// <param name="output">Standard output: command results.</param>
    /// <param name="error">Standard error: prompts, errors and (with <c>--verbose</c>) logs.</param>
    /// <param name="isInteractive">
    /// True when a person types at <paramref name="input"/> (a terminal): then <c>sync-admin</c> prompts for tokens and
    /// asks before removing. False for pipes and files: tokens are read to the end, and nothing is asked.
    /// </param>
    /// <param name="outputIsTerminal">
    /// True when <paramref name="output"/> is a terminal: listing commands then write tables; otherwise (pipes, files)
    /// they write JSON unless asked for a table.
    /// </param>
    public AdminConsole(TextReader input, TextWriter output, TextWriter error, bool isInteractive = false, bool outputIsTerminal = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        Input = input;
        Output = output;
        Error = error;
        IsInteractive = isInteractive;
        OutputIsTerminal = outputIsTerminal;
    }

    /// <summary>The process's own console; interactive when standard input is not redirected.</summary>
    public static AdminConsole System => new SystemAdminConsole();

    /// <summary>Standard input.</summary>
    public TextReader Input { get; }

    /// <summary>Standard output.</summary>
    public TextWriter Output { get; }

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>True when a person types at <see cref="Input"/>.</summary>
    public bool IsInteractive { get; }

    /// <summary>True when <see cref="Output"/> is a terminal.</summary>
    public bool OutputIsTerminal { get; }

    /// <summary>True for the process's own console: Ctrl+C and SIGTERM then cancel the running command.</summary>
    internal virtual bool HandlesTermination => false;

    /// <summary>
    /// Asks for a secret on <see cref="Error"/> and reads one line. This implementation cannot hide what is typed; the
    /// process console's reads keys without echoing them.
    /// </summary>
    /// <returns>The line, or null at the end of input.</returns>
    public virtual string? ReadSecret(string prompt)
    {
        Error.Write(prompt);
        Error.Flush();
        return Input.ReadLine();
    }

    /// <summary>Asks a yes/no question on <see cref="Error"/>; only <c>y</c> or <c>yes</c> is a yes.</summary>
    public virtual bool Confirm(string question)
    {
        Error.Write($"{question} [y/N] ");
        Error.Flush();
        var answer = Input.ReadLine()?.Trim();
        return string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) ||
               string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The process's console: secrets are typed without echo.</summary>
internal sealed class SystemAdminConsole() : AdminConsole(Console.In, Console.Out, Console.Error, !Console.IsInputRedirected, !Console.IsOutputRedirected)
{
    internal override bool HandlesTermination => true;

    public override string? ReadSecret(string prompt)
    {
        Error.Write(prompt);
        Error.Flush();
        var secret = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (secret.Length > 0)
                {
                    secret.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                secret.Append(key.KeyChar);
            }
        }

        Error.WriteLine();
        return secret.ToString();
    }
}
