using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Sync.Storage;

namespace Sync.Admin.Commands;

/// <summary><c>keys rotate</c>: re-encrypts every stored token under the active key.</summary>
internal sealed class KeysCommand(AdminSession session)
{
    public Command Build()
    {
        var rotate = new Command(
            "rotate",
            "Re-encrypt every stored token under Sync:Storage:ActiveKeyId. Run after adding a new key and making it active; " +
            "then the old key can be removed.");
        rotate.SetAction((parseResult, ct) => session.RunAsync(parseResult, RotateAsync, ct));
        return new Command("keys", "Token encryption keys.") { rotate };
    }

    private async Task<int> RotateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var result = await services.GetRequiredService<ITokenKeyRotator>().ReencryptAllAsync(cancellationToken);
        var output = session.Console.Output;
        await output.WriteLineAsync(
            $"Examined {result.Installations} installation(s); re-encrypted {result.Reencrypted} under key '{result.ActiveKeyId}'.");
        await output.WriteLineAsync(
            $"Every stored token is now under key '{result.ActiveKeyId}'. Other keys may be removed from Sync:Storage:EncryptionKeys " +
            "once every host runs with this key active.");
        return AdminExitCodes.Success;
    }
}
