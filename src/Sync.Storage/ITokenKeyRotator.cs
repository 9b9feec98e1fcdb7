namespace Sync.Storage;

/// <summary>
/// Re-encrypts stored tokens under <see cref="StorageOptions.ActiveKeyId"/>. Run it after adding a new active key;
/// once it reports nothing left under an old key, that key can be removed from <see cref="StorageOptions.EncryptionKeys"/>.
/// </summary>
public interface ITokenKeyRotator
{
    /// <summary>Re-encrypts every token not already under the active key. Safe to run while workers refresh tokens.</summary>
    Task<KeyRotationResult> ReencryptAllAsync(CancellationToken cancellationToken);
}

/// <summary>What a key rotation did.</summary>
/// <param name="Installations">Installations examined.</param>
/// <param name="Reencrypted">Installations whose tokens were re-encrypted under the active key.</param>
/// <param name="ActiveKeyId">The key they are now under.</param>
public sealed record KeyRotationResult(int Installations, int Reencrypted, string ActiveKeyId);
