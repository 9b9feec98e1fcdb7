using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Commands;

/// <summary>
/// <c>installations rotate-token</c>: replaces a private-integration token (same input rules as add-private). OAuth
/// installations are refused: their access tokens are refreshed by the workers.
/// </summary>
internal sealed class RotateTokenCommand(AdminSession session)
{
    private readonly Option<string> _location = AdminOptions.Location("The location whose private-integration token to replace.");
    private readonly Option<FileInfo?> _tokenFile = AdminOptions.TokenFile();

    public Command Build()
    {
        var command = new Command(
            "rotate-token",
            "Replace the stored private-integration token of a location. The new token is read from standard input or --token-file.")
        {
            _location, _tokenFile,
        };
        command.SetAction((parseResult, ct) => session.RunAsync(
            parseResult,
            (services, token) => RunAsync(services, parseResult.GetValue(_location)!, parseResult.GetValue(_tokenFile), token),
            ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, string locationId, FileInfo? tokenFile, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IInstallationStore>();
        var existing = await store.GetAsync(locationId, cancellationToken)
            ?? throw CommandFailedException.Usage(
                $"location {locationId} has no installation. Add one with `sync-admin installations add-private --location {locationId}`.");

        if (existing.AuthMode != AuthMode.PrivateIntegration)
        {
            throw CommandFailedException.Usage(
                $"location {locationId} authenticates with OAuth: its access token is refreshed automatically and rotates itself, " +
                "so there is nothing to replace by hand. If its OAuth grant is broken, reinstall the app in that location.");
        }

        var token = await TokenInput.ReadAsync(tokenFile, session.Console, locationId, cancellationToken);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();

        // A new token is the fix for a suspended installation (its old token stopped working), so it becomes active.
        await store.SaveAsync(existing with { AccessToken = token, Status = InstallationStatus.Active, UpdatedAt = now }, cancellationToken);

        var output = session.Console.Output;
        await output.WriteLineAsync($"Replaced the private-integration token of location {locationId}.");
        if (existing.Status != InstallationStatus.Active)
        {
            await output.WriteLineAsync($"Status: {existing.Status} -> {InstallationStatus.Active}.");
        }

        return AdminExitCodes.Success;
    }
}
