namespace Sync.Admin;

/// <summary>A command stops with a message for the operator and an exit code (see <see cref="AdminExitCodes"/>).</summary>
internal sealed class CommandFailedException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The request cannot be carried out as given (exit code 1).</summary>
    public static CommandFailedException Usage(string message) => new(AdminExitCodes.UsageError, message);
}
