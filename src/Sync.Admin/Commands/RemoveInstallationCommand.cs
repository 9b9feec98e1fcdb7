using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Commands;

/// <summary>
/// <c>installations remove</c>: what an UNINSTALL does, on an operator's word. In one transaction the location's
/// installation and tokens, contact index and unsent outbox rows are deleted and its open dead letters discarded
/// (see <see cref="LocationLifecycle"/>).
/// </summary>
internal sealed class RemoveInstallationCommand(AdminSession session)
{
    private readonly Option<string> _location = AdminOptions.Location("The location to forget.");
    private readonly Option<bool> _yes = new("--yes") { Description = "Do not ask for confirmation (required when standard input is not a terminal)." };

    public Command Build()
    {
        var command = new Command(
            "remove",
            "Forget a location as an UNINSTALL does: delete its installation and tokens, contact index and pending outbox rows, and discard its open dead letters.")
        {
            _location, _yes,
        };
        command.SetAction((parseResult, ct) => session.RunAsync(
            parseResult,
            (services, token) => RunAsync(services, parseResult.GetValue(_location)!, parseResult.GetValue(_yes), token),
            ct));
        return command;
    }

    private async Task<int> RunAsync(IServiceProvider services, string locationId, bool confirmed, CancellationToken cancellationToken)
    {
        var console = session.Console;
        var existing = await services.GetRequiredService<IInstallationStore>().GetAsync(locationId, cancellationToken);
        if (!confirmed)
        {
            if (!console.IsInteractive)
            {
                throw CommandFailedException.Usage(
                    $"refusing to remove location {locationId} without confirmation: standard input is not a terminal. Add --yes to confirm.");
            }

            var what = existing is null
                ? $"Location {locationId} has no installation. Remove whatever contact index, pending work and dead letters remain for it?"
                : $"Remove location {locationId} ({existing.AuthMode}, {existing.Status})? This deletes its tokens, contact index and pending " +
                  "outbox rows, and discards its open dead letters.";
            if (!console.Confirm(what))
            {
                throw CommandFailedException.Usage("not confirmed: nothing was removed.");
            }
        }

        var actor = $"sync-admin ({Environment.UserName})";
        var unitOfWork = await services.GetRequiredService<IUnitOfWorkFactory>().BeginAsync(cancellationToken);
        LocationForgotten forgotten;
        await using (unitOfWork)
        {
            forgotten = await services.GetRequiredService<LocationLifecycle>().ForgetAsync(unitOfWork, locationId, actor, cancellationToken);
            if (existing is null && forgotten is { IndexRows: 0, PendingMessages: 0, DeadLettersDiscarded: 0 })
            {
                throw CommandFailedException.Usage($"unknown location {locationId}: it has no installation and nothing stored for it.");
            }

            await unitOfWork.CommitAsync(cancellationToken);
        }

        var output = console.Output;
        await output.WriteLineAsync(existing is null
            ? $"Removed what remained of location {locationId} (it had no installation)."
            : $"Removed location {locationId} ({existing.AuthMode} installation and its tokens).");
        await output.WriteLineAsync($"  contact index rows deleted:  {forgotten.IndexRows}");
        await output.WriteLineAsync($"  pending outbox rows deleted: {forgotten.PendingMessages}");
        await output.WriteLineAsync($"  dead letters discarded:      {forgotten.DeadLettersDiscarded}");
        return AdminExitCodes.Success;
    }
}
