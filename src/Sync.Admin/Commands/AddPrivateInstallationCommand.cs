using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sync.Storage;

namespace Sync.Admin.Commands;

/// <summary>
/// <c>installations add-private</c>: registers a location that authenticates with a private-integration token. The
/// token comes from standard input or --token-file; there is deliberately no option that takes it as an argument.
/// </summary>
internal sealed class AddPrivateInstallationCommand(AdminSession session)
{
    private readonly Option<string> _location = AdminOptions.Location("The location (sub-account) id to install.");
    private readonly Option<string?> _company = AdminOptions.Company();
    private readonly Option<FileInfo?> _tokenFile = AdminOptions.TokenFile();

    public Command Build()
    {
        var command = new Command(
            "add-private",
            "Register a private-integration installation. The token is read from standard input (prompted without echo on a terminal) or from --token-file.")
        {
            _location, _company, _tokenFile,
        };
        command.SetAction((parseResult, ct) => session.RunAsync(
            parseResult,
            (services, token) => RunAsync(services, parseResult.GetValue(_location)!, parseResult.GetValue(_company), parseResult.GetValue(_tokenFile), token),
            ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, string locationId, string? companyId, FileInfo? tokenFile, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IInstallationStore>();
        if (await store.GetAsync(locationId, cancellationToken) is { } existing)
        {
            throw AlreadyInstalled(existing);
        }

        var token = await TokenInput.ReadAsync(tokenFile, session.Console, locationId, cancellationToken);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var installation = new Installation(
            locationId,
            companyId,
            AuthMode.PrivateIntegration,
            InstallationStatus.Active,
            AccessToken: token,
            RefreshToken: null,
            AccessTokenExpiresAt: null,
            UpdatedAt: now);

        if (!await store.AddIfAbsentAsync(installation, cancellationToken))
        {
            // Installed by someone else between the check and the insert.
            throw AlreadyInstalled(await store.GetAsync(locationId, cancellationToken) ?? installation);
        }

        var keyId = services.GetRequiredService<IOptions<StorageOptions>>().Value.ActiveKeyId;
        var company = companyId is null ? "" : $" (company {companyId})";
        await session.Console.Output.WriteLineAsync(
            $"Added a private-integration installation for location {locationId}{company}; its token is stored encrypted under key '{keyId}'.");
        return AdminExitCodes.Success;
    }

    private static CommandFailedException AlreadyInstalled(Installation existing) => CommandFailedException.Usage(
        $"location {existing.LocationId} is already installed ({existing.AuthMode}, {existing.Status}). " +
        $"To replace a private-integration token run `sync-admin installations rotate-token --location {existing.LocationId}`; " +
        "to start over, `sync-admin installations remove` it first.");
}
